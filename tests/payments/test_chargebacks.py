"""Chargebacks (`charge.dispute.*`), built exactly as Stripe documents them and signed like
real ones: the payment is marked disputed by the card holder, the amount is held (not
reminded, autopay paused, staff alerted), then stays paid (won) or is reopened (lost)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from payments.plan_service import due_installments
from portal.extensions import db
from portal.models import (
    AuditEvent,
    Chargeback,
    Installment,
    Invoice,
    Payment,
    PaymentIssue,
    PaymentPlan,
    utcnow,
)
from tests.factories import make_debtor, make_invoice, sign_in
from tests.payments.conftest import WEBHOOK_SECRET
from tests.payments.helpers import dispute_event, pay, sign_payload


def _post(client, event):
    payload = json.dumps(event).encode()
    return client.post("/webhooks/stripe", data=payload, content_type="application/json",
                       headers={"Stripe-Signature": sign_payload(payload, WEBHOOK_SECRET)})


@pytest.fixture
def paid(stripe_app, client):
    """A debtor who paid two invoices (60,000 + 40,000 BRL) by card, and has an active plan
    for a third invoice with an instalment due today."""
    debtor = make_debtor(email="bia@example.com", locale="pt_BR")
    make_invoice(debtor, external_id="INV-AUG", issued_on=date(2026, 8, 1),
                 amount_minor=60_000_00, currency="BRL")
    make_invoice(debtor, external_id="INV-SEP", issued_on=date(2026, 9, 1),
                 amount_minor=40_000_00, currency="BRL")
    db.session.commit()
    sign_in(client, debtor)
    response, _ = pay(client)
    assert response.status_code == 200, response.get_json()
    payment = db.session.scalar(select(Payment))
    later = make_invoice(debtor, external_id="INV-OCT", issued_on=date(2026, 10, 1),
                         amount_minor=30_000_00, currency="BRL")
    plan = PaymentPlan(debtor_id=debtor.id, status="active", total_minor=30_000_00,
                       currency="BRL", frequency="monthly", installment_count=1,
                       stripe_payment_method_id="pm_saved")
    db.session.add(plan)
    db.session.flush()
    later.plan_id = plan.id
    db.session.add(Installment(plan_id=plan.id, seq=1, due_on=utcnow().date(),
                               amount_minor=30_000_00, status="pending"))
    db.session.commit()
    return payment


def _invoices() -> dict[str, Invoice]:
    db.session.expire_all()
    return {i.external_id: i for i in db.session.scalars(select(Invoice))}


def _held(invoices) -> bool:
    return invoices["INV-AUG"].disputed and invoices["INV-SEP"].disputed


def test_a_lost_chargeback_holds_then_reopens_the_amount(paid, client, staff_client):
    intent = paid.stripe_payment_intent_id
    created = _post(client, dispute_event(intent, "charge.dispute.created", "needs_response"))
    assert created.status_code == 200 and created.get_json()["status"] == "ok"
    case = db.session.scalar(select(Chargeback))
    assert (case.outcome, case.status, case.amount_minor) == ("open", "needs_response",
                                                              100_000_00)
    payment = db.session.get(Payment, paid.id)
    assert payment.status == "succeeded" and payment.refunded_minor == 0  # held, still paid
    invoices = _invoices()
    assert _held(invoices) and invoices["INV-AUG"].status == "paid"
    assert not invoices["INV-OCT"].disputed  # not part of the charged-back payment
    assert due_installments(utcnow().date()) == []  # autopay paused
    issue = db.session.scalar(select(PaymentIssue))
    assert (issue.kind, issue.status, issue.payment_id) == ("chargeback", "open", paid.id)

    # Staff are alerted in the console.
    agent, _ = staff_client("agent")
    page = agent.get("/staff/payments/issues").get_data(as_text=True)
    assert "Disputed by the card holder (chargeback)" in page and "du_test_chargeback" in page
    assert 'data-testid="open-payment-issues">1<' in page
    timeline = agent.get(f"/staff/debtors/{payment.debtor_id}").get_data(as_text=True)
    assert "disputed by the card holder" in timeline and 'data-state="charged_back"' in timeline

    updated = dispute_event(intent, "charge.dispute.updated", "under_review")
    assert _post(client, updated).get_json()["status"] == "ok"
    db.session.expire_all()
    assert db.session.scalar(select(Chargeback)).status == "under_review"

    closed = dispute_event(intent, "charge.dispute.closed", "lost")
    assert _post(client, closed).get_json()["status"] == "ok"
    assert _post(client, closed).get_json()["status"] == "duplicate"
    db.session.expire_all()
    case = db.session.scalar(select(Chargeback))
    assert (case.outcome, case.released_minor) == ("lost", 100_000_00)
    payment = db.session.get(Payment, paid.id)
    assert (payment.status, payment.refunded_minor) == ("refunded", 100_000_00)
    invoices = _invoices()
    assert invoices["INV-AUG"].status == invoices["INV-SEP"].status == "open"
    assert invoices["INV-AUG"].balance_minor == 60_000_00
    assert _held(invoices)  # the reopened amount is not reminded until staff handle it
    assert due_installments(utcnow().date()) == []

    page = agent.get(f"/staff/payments/{paid.id}").get_data(as_text=True)
    assert "lost: R$100,000.00 reopened on the invoices" in page
    from tests.factories import csrf_token

    token = csrf_token(agent, "/staff/payments/issues")
    done = agent.post(f"/staff/payments/issues/{issue.id}/resolve",
                      data={"csrf_token": token})
    assert done.status_code == 302
    invoices = _invoices()
    assert not invoices["INV-AUG"].disputed and not invoices["INV-SEP"].disputed
    assert [i.seq for i in due_installments(utcnow().date())] == [1]  # autopay resumed
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action.in_(("payment.charged_back.opened", "payment.charged_back.lost",
                               "payment_issue.resolved")))) == 3


def test_a_won_chargeback_stays_paid_and_resumes_reminders_and_autopay(paid, client):
    intent = paid.stripe_payment_intent_id
    assert _post(client, dispute_event(intent, "charge.dispute.created",
                                       "needs_response")).status_code == 200
    assert _held(_invoices()) and due_installments(utcnow().date()) == []
    assert _post(client, dispute_event(intent, "charge.dispute.closed",
                                       "won")).get_json()["status"] == "ok"
    db.session.expire_all()
    assert db.session.scalar(select(Chargeback)).outcome == "won"
    payment = db.session.get(Payment, paid.id)
    assert (payment.status, payment.refunded_minor) == ("succeeded", 0)
    invoices = _invoices()
    assert invoices["INV-AUG"].status == "paid" and not _held(invoices)
    assert [i.seq for i in due_installments(utcnow().date())] == [1]


def test_a_partial_chargeback_reopens_only_the_disputed_amount(paid, client):
    intent = paid.stripe_payment_intent_id
    for event_type, status in (("created", "needs_response"), ("closed", "lost")):
        event = dispute_event(intent, f"charge.dispute.{event_type}", status,
                              amount=30_000_00)
        assert _post(client, event).get_json()["status"] == "ok"
    payment = db.session.get(Payment, paid.id)
    db.session.refresh(payment)
    assert (payment.status, payment.refunded_minor) == ("partially_refunded", 30_000_00)
    invoices = _invoices()
    assert invoices["INV-SEP"].balance_minor == 30_000_00  # newest due first
    assert invoices["INV-AUG"].status == "paid"


@pytest.mark.parametrize("changes", [{"currency": "usd"}, {"amount": 900_000_00}])
def test_a_chargeback_that_disagrees_with_the_payment_is_flagged_not_applied(paid, client,
                                                                           changes):
    event = dispute_event(paid.stripe_payment_intent_id, "charge.dispute.created",
                          "needs_response", **changes)
    assert _post(client, event).get_json()["status"] == "mismatch"
    assert db.session.scalar(select(func.count()).select_from(Chargeback)) == 0
    assert db.session.scalar(select(PaymentIssue.kind)) == "mismatch"
    assert not _held(_invoices())


def test_a_chargeback_for_an_unknown_charge_is_ignored(paid, client):
    event = dispute_event(paid.stripe_payment_intent_id, "charge.dispute.created",
                          "needs_response")
    event["data"]["object"]["payment_intent"] = "pi_not_ours"
    assert _post(client, event).get_json()["status"] == "ignored"
    assert db.session.scalar(select(func.count()).select_from(Chargeback)) == 0


def _reminded(due_on: date) -> set[str]:
    """Invoices the alert planner would remind about on any day of the 15 after `due_on`."""
    from alerts.planner import plan

    reminded: set[str] = set()
    for offset in range(15):
        day = due_on + timedelta(days=offset)
        result = plan(today=day, dry_run=True, now=datetime.combine(day, time(15), UTC))
        reminded |= {item["invoice_id"] for item in result["planned"] if item["invoice_id"]}
    return reminded


def test_the_charged_back_amount_is_not_reminded_until_staff_handle_it(paid, client,
                                                                       make_staff):
    intent = paid.stripe_payment_intent_id
    _post(client, dispute_event(intent, "charge.dispute.created", "needs_response"))
    _post(client, dispute_event(intent, "charge.dispute.closed", "lost"))
    invoices = _invoices()
    assert invoices["INV-AUG"].status == "open"  # reopened, but held
    due_on = invoices["INV-AUG"].due_on
    assert not {"INV-AUG", "INV-SEP"} & _reminded(due_on)
    from portal.staff.payments import resolve_issue

    resolve_issue(db.session.scalar(select(PaymentIssue)), make_staff("agent"))
    db.session.commit()
    assert "INV-AUG" in _reminded(due_on)
