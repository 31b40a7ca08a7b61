"""Reconcile repairs double charges: a second charge for one payment and a charge that
matches no payment are refunded; a charge Saldo did not make is flagged for staff. Each
with an audit entry; a second run changes nothing."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import func, select

from payments.gateway import gateway
from portal.extensions import db
from portal.models import AuditEvent, Payment, PaymentAllocation, PaymentIssue
from tests.factories import make_debtor, make_invoice, sign_in
from tests.payments.helpers import pay
from tests.payments.race.conftest import report


def _charge_at_stripe(customer: str | None, amount: int, metadata: dict) -> str:
    """A card charged at Stripe without our server (what the old parallel confirms did)."""
    client = gateway().client
    method = client.v1.payment_methods.create({"type": "card", "card": {
        "number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
    params = {"amount": amount, "currency": "brl", "payment_method": method.id,
              "payment_method_types": ["card"], "metadata": metadata, "confirm": True}
    if customer:
        client.v1.payment_methods.attach(method.id, {"customer": customer})
        params["customer"] = customer
    intent = client.v1.payment_intents.create(params)
    assert intent.status == "succeeded"
    return intent.id


def _refunded(intent_id: str) -> int:
    charge = gateway().retrieve_payment_intent(intent_id)["latest_charge"]
    charge_id = charge if isinstance(charge, str) else charge["id"]
    return gateway().client.v1.charges.retrieve(charge_id).amount_refunded


def test_reconcile_refunds_double_charges_and_flags_foreign_ones(stripe_app, client, runner,
                                                                 database_url):
    debtor = make_debtor(email="bia@example.com", locale="pt_BR")
    make_invoice(debtor, issued_on=date(2026, 8, 1), amount_minor=663_500_00, currency="BRL")
    db.session.commit()
    sign_in(client, debtor)
    response, _ = pay(client)
    assert response.status_code == 200
    payment = db.session.scalar(select(Payment))
    payment_id, customer, debtor_id = payment.id, debtor.stripe_customer_id, debtor.id
    metadata = {"payment_id": str(payment_id), "debtor_id": str(debtor.id)}
    second = _charge_at_stripe(customer, 663_500_00, metadata)
    orphan = _charge_at_stripe(customer, 1_000_00, {"payment_id": "999999",
                                                    "debtor_id": str(debtor.id)})
    foreign = _charge_at_stripe(None, 5_000_00, {"order": "shop-17"})

    result = runner.invoke(args=["payments", "reconcile"])
    assert result.exit_code == 0, result.output
    report("double-charge-repair", database_url, charges=4,
           refunded=sum(1 for i in (second, orphan, foreign) if _refunded(i)),
           flagged=db.session.scalar(select(func.count()).select_from(PaymentIssue).where(
               PaymentIssue.action == "flagged")))
    assert f"refunded {second} (double charge for payment {payment_id})" in result.output
    assert f"refunded {orphan} (unmatched charge)" in result.output
    assert f"flagged {foreign}" in result.output
    assert (_refunded(second), _refunded(orphan), _refunded(foreign)) == (
        663_500_00, 1_000_00, 0)
    issues = {i.detail["payment_intent"]: i for i in db.session.scalars(select(PaymentIssue))}
    assert (issues[second].kind, issues[second].action) == ("double_charge", "refunded")
    assert issues[second].payment_id == payment_id
    assert (issues[orphan].kind, issues[orphan].action) == ("unmatched_charge", "refunded")
    assert issues[orphan].debtor_id == debtor_id
    assert (issues[foreign].kind, issues[foreign].action) == ("unmatched_charge", "flagged")
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action.like("payment_issue.%"))) == 3
    # The payment itself is untouched: paid once, allocated once.
    payment = db.session.get(Payment, payment_id)
    assert payment.status == "succeeded" and payment.refunded_minor == 0
    assert db.session.scalar(select(func.sum(PaymentAllocation.amount_minor))) == 663_500_00

    again = runner.invoke(args=["payments", "reconcile", "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.output)["actions"] == []
    assert (_refunded(second), _refunded(orphan), _refunded(foreign)) == (
        663_500_00, 1_000_00, 0)
    assert db.session.scalar(select(func.count()).select_from(PaymentIssue)) == 3
