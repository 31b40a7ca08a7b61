"""Plans report plan.created, payment.succeeded, plan.broken and plan.completed to webhooks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from payments import jobs
from payments.external import record_external_payment
from portal.extensions import db
from portal.models import Invoice, PaymentPlan, WebhookEvent
from portal.webhooks import EVENTS
from portal.webhooks.endpoints import create_endpoint
from tests.factories import sign_in
from tests.payments.helpers import CARD_DECLINE_AT_CHARGE
from tests.payments.test_plans import _accept, _debtor, _installments, _replace_card


def listen(app) -> None:
    app.config["WEBHOOKS_ALLOW_PRIVATE"] = True
    create_endpoint("http://127.0.0.1:9/hooks", list(EVENTS), actor_type="system")
    db.session.commit()


def events() -> list[tuple[str, dict]]:
    db.session.expire_all()
    return [(e.type, e.payload) for e in db.session.scalars(select(WebhookEvent)
                                                            .order_by(WebhookEvent.id))]


def test_a_broken_plan_is_reported(stripe_app, client, smtp_server):
    listen(stripe_app)
    sign_in(client, _debtor())
    plan_id = _accept(client, "2-monthly-COP").id
    _replace_card(client, plan_id, CARD_DECLINE_AT_CHARGE)
    due = _installments(plan_id)[1].due_on
    for day in (due, due + timedelta(1), due + timedelta(3)):
        jobs.charge_due_installments(day)
    types = [t for t, _ in events()]
    assert types[0] == "plan.created" and types[-1] == "plan.broken"
    assert "payment.succeeded" in types  # the first instalment, charged on acceptance
    created = events()[0][1]
    assert created["object"] == "plan" and created["id"] == plan_id
    assert created["status"] == "active" and len(created["installments"]) == 2


def test_a_plan_settled_by_a_transfer_is_completed(stripe_app, client):
    listen(stripe_app)
    debtor = _debtor()
    sign_in(client, debtor)
    plan_id = _accept(client, "3-monthly-COP").id
    owed = sum(i.balance_minor for i in db.session.scalars(select(Invoice)))
    record_external_payment(debtor, amount_minor=owed, currency="COP", method="transfer",
                            reference="BANK-1", received_on=datetime.now(UTC).date())
    db.session.commit()
    assert db.session.get(PaymentPlan, plan_id).status == "completed"
    types = [t for t, _ in events()]
    assert types.count("plan.completed") == 1 and types.count("invoice.paid") == 2
    assert types.index("plan.completed") > types.index("plan.created")
