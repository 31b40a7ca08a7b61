"""Webhooks (verified, idempotent, any order), reconciliation of lost webhooks, refunds."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta

from sqlalchemy import func, select

from payments import jobs
from payments.refunds import refund_payment
from portal.extensions import db
from portal.models import Invoice, Payment, PaymentAllocation, StripeEvent, utcnow
from tests.factories import deliver, make_debtor, make_invoice, sign_in
from tests.payments.conftest import WEBHOOK_SECRET
from tests.payments.helpers import (
    charge_behind_our_back,
    charge_event,
    pay,
    sign_payload,
    stripe_event,
)


def _debtor():
    debtor = make_debtor(email="bia@example.com", locale="pt_BR")
    first = make_invoice(debtor, issued_on=date(2026, 8, 1), amount_minor=60_000_00)
    second = make_invoice(debtor, issued_on=date(2026, 9, 1), amount_minor=40_000_00)
    db.session.commit()
    return debtor, first, second


def _post_event(client, event: dict, secret: str = WEBHOOK_SECRET):
    payload = json.dumps(event).encode()
    return client.post("/webhooks/stripe", data=payload, content_type="application/json",
                       headers={"Stripe-Signature": sign_payload(payload, secret)})


def _allocated() -> int:
    return db.session.scalar(select(func.coalesce(func.sum(PaymentAllocation.amount_minor), 0)))


def test_webhook_applies_a_payment_once_even_when_repeated(stripe_app, client, smtp_server):
    debtor, first, second = _debtor()
    sign_in(client, debtor)
    payment_id, intent_id = charge_behind_our_back(client)
    event = stripe_event(intent_id)
    response = _post_event(client, event)
    assert response.status_code == 200 and response.get_json()["status"] == "ok"
    payment = db.session.get(Payment, payment_id)
    assert payment.status == "succeeded" and payment.stripe_payment_intent_id == intent_id
    assert _allocated() == 100_000_00
    assert db.session.get(StripeEvent, event["id"]) is not None
    deliver()
    assert len(smtp_server.messages) == 1
    again = _post_event(client, event)
    assert again.status_code == 200 and again.get_json()["status"] == "duplicate"
    assert _allocated() == 100_000_00
    deliver()
    assert len(smtp_server.messages) == 1


def test_webhook_with_a_bad_signature_is_refused_and_changes_nothing(stripe_app, client):
    debtor, first, _ = _debtor()
    sign_in(client, debtor)
    payment_id, intent_id = charge_behind_our_back(client)
    event = stripe_event(intent_id)
    assert _post_event(client, event, secret="whsec_wrong").status_code == 400
    payload = json.dumps(event).encode()
    assert client.post("/webhooks/stripe", data=payload,
                       content_type="application/json").status_code == 400
    tampered = dict(event, id="evt_forged")
    good_header = sign_payload(payload, WEBHOOK_SECRET)
    assert client.post("/webhooks/stripe", data=json.dumps(tampered).encode(),
                       content_type="application/json",
                       headers={"Stripe-Signature": good_header}).status_code == 400
    assert db.session.get(Payment, payment_id).status == "pending"
    assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 0
    assert _allocated() == 0


def test_failed_event_after_success_does_not_undo_it(stripe_app, client):
    debtor, *_ = _debtor()
    sign_in(client, debtor)
    payment_id, intent_id = charge_behind_our_back(client)
    success = stripe_event(intent_id)
    failure = dict(success, id="evt_late_failure", type="payment_intent.payment_failed")
    assert _post_event(client, success).status_code == 200
    # A forged type with a valid signature is what an out-of-order delivery looks like.
    assert _post_event(client, failure).status_code == 200
    assert db.session.get(Payment, payment_id).status == "succeeded"


def test_webhooks_are_delivered_by_localstripe_to_a_live_server(
        stripe_app, live_server_url, client):
    debtor, *_ = _debtor()
    sign_in(client, debtor)
    response, _ = pay(client)
    assert response.get_json()["status"] == "succeeded"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        db.session.rollback()
        if db.session.scalar(select(StripeEvent).where(
                StripeEvent.type == "payment_intent.succeeded")):
            break
        time.sleep(0.2)
    else:
        raise AssertionError("localstripe's webhook never arrived")
    assert _allocated() == 100_000_00
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 1


def test_reconciliation_applies_a_lost_webhook_exactly_once(stripe_app, client, smtp_server):
    debtor, first, second = _debtor()
    sign_in(client, debtor)
    payment_id, intent_id = charge_behind_our_back(client)
    result = jobs.reconcile()
    assert result["applied"] == 1 and result["receipts"] == 1
    assert jobs.reconcile()["applied"] == 0
    payment = db.session.get(Payment, payment_id)
    assert payment.status == "succeeded"
    assert {i.status for i in db.session.scalars(select(Invoice))} == {"paid"}
    deliver()
    assert len(smtp_server.messages) == 1
    assert "Recibo" in smtp_server.messages[0]["Subject"]  # pt_BR: "Recibo de pagamento"


def test_reconciliation_rereads_pending_payments_it_knows_the_intent_of(stripe_app, client,
                                                                        runner):
    debtor, *_ = _debtor()
    sign_in(client, debtor)
    payment_id, intent_id = charge_behind_our_back(client)
    payment = db.session.get(Payment, payment_id)
    payment.stripe_payment_intent_id = intent_id
    db.session.commit()
    from payments.reconcile import _check_pending

    assert _check_pending(utcnow() + timedelta(minutes=5)) == {"applied": 1, "failed": 0}
    result = runner.invoke(args=["payments", "reconcile", "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["applied"] == 0


def test_refund_reopens_balances_and_the_refund_webhook_is_a_no_op(stripe_app, client,
                                                                   runner):
    debtor, first, second = _debtor()
    sign_in(client, debtor)
    response, _ = pay(client)
    payment = db.session.scalar(select(Payment))
    released = refund_payment(payment, 30_000_00)
    assert released == 30_000_00
    db.session.refresh(first)
    db.session.refresh(second)
    assert (first.status, second.status) == ("paid", "open")  # the newest reopens first
    assert second.balance_minor == 30_000_00
    assert payment.status == "partially_refunded"
    event = charge_event(payment.stripe_payment_intent_id, "evt_refund_1",
                         amount_refunded=30_000_00)
    assert _post_event(client, event).status_code == 200
    db.session.refresh(payment)
    assert payment.refunded_minor == 30_000_00
    result = runner.invoke(args=["payments", "refund", str(payment.id)])
    assert result.exit_code == 0, result.output
    db.session.remove()
    payment = db.session.scalar(select(Payment))
    assert (payment.status, payment.refunded_minor) == ("refunded", 100_000_00)
    assert {i.status for i in db.session.scalars(select(Invoice))} == {"open"}
    assert runner.invoke(args=["payments", "refund", str(payment.id)]).exit_code != 0


def test_reconciliation_closes_card_forms_abandoned_for_a_day(stripe_app, client):
    debtor, first, _ = _debtor()
    sign_in(client, debtor)
    from tests.payments.helpers import csrf_token, start_payment

    assert start_payment(client, csrf_token(client)).status_code == 200
    assert jobs.reconcile()["abandoned"] == 0
    result = jobs.reconcile(utcnow() + timedelta(days=2))
    assert result["abandoned"] == 1
    payment = db.session.scalar(select(Payment))
    assert (payment.status, payment.failure_code) == ("failed", "abandoned")


def test_a_refund_event_that_overtakes_the_success_event_is_applied_in_order(
        stripe_app, client):
    from payments.gateway import gateway

    debtor, first, second = _debtor()
    sign_in(client, debtor)
    payment_id, intent_id = charge_behind_our_back(client)
    gateway().refund(intent_id, 10_000_00, "test-refund-early")
    refund_event = charge_event(intent_id, "evt_refund_first", amount_refunded=10_000_00)
    # The charge event names the PaymentIntent; our payment does not know it yet.
    payment = db.session.get(Payment, payment_id)
    payment.stripe_payment_intent_id = intent_id
    db.session.commit()
    assert _post_event(client, refund_event).status_code == 200
    payment = db.session.get(Payment, payment_id)
    assert (payment.status, payment.refunded_minor) == ("partially_refunded", 10_000_00)
    assert _post_event(client, stripe_event(intent_id)).status_code == 200
    db.session.refresh(payment)
    assert payment.refunded_minor == 10_000_00 and _allocated() == 90_000_00


def test_a_second_payment_for_a_settled_balance_is_refunded_to_the_card(stripe_app, client,
                                                                        localstripe):
    import requests

    debtor, *_ = _debtor()
    sign_in(client, debtor)
    first_id, _ = charge_behind_our_back(client)
    second_id, second_intent = charge_behind_our_back(client)
    result = jobs.reconcile()
    assert result["applied"] == 2 and result["excess_refunds"] == 1
    payments = {p.id: p for p in db.session.scalars(select(Payment))}
    assert payments[first_id].status == "succeeded" and payments[first_id].excess_minor == 0
    late = payments[second_id]
    assert (late.status, late.excess_minor, late.refunded_minor) == (
        "refunded", 100_000_00, 100_000_00)
    assert late.excess_refunded_at is not None
    refunds = requests.get(f"{localstripe}/v1/refunds", timeout=5,
                           headers={"Authorization": "Bearer sk_test_saldo"}).json()["data"]
    assert [(r["payment_intent"], r["amount"]) for r in refunds] == [(second_intent,
                                                                     100_000_00)]
    assert jobs.reconcile()["excess_refunds"] == 0


def test_production_refuses_webhooks_signed_with_the_built_in_secret(app, client):
    """The local default secret is in the source: in production it must not verify anything
    (a forged "succeeded" event would otherwise clear a debt nobody paid)."""
    from portal.config import Config
    from tests.factories import make_debtor, make_invoice

    debtor = make_debtor()
    make_invoice(debtor, amount_minor=100_000_00)
    payment = Payment(debtor=debtor, amount_minor=100_000_00, currency="COP", method="card",
                      status="pending", refunded_minor=0, idempotency_key="saldo-pay-forged")
    db.session.add(payment)
    db.session.commit()
    event = {"id": "evt_forged", "object": "event", "type": "payment_intent.succeeded",
             "data": {"object": {"id": "pi_forged", "object": "payment_intent",
                                 "metadata": {"payment_id": str(payment.id)}}}}
    saved = app.config["ENV_NAME"], app.config["STRIPE_WEBHOOK_SECRET"]
    app.config["ENV_NAME"] = "production"
    app.config["STRIPE_WEBHOOK_SECRET"] = Config.STRIPE_WEBHOOK_SECRET
    try:
        response = _post_event(client, event, secret=Config.STRIPE_WEBHOOK_SECRET)
        app.config["STRIPE_WEBHOOK_SECRET"] = ""
        empty = _post_event(client, event, secret="")
    finally:
        app.config["ENV_NAME"], app.config["STRIPE_WEBHOOK_SECRET"] = saved
    assert response.status_code == 400 and empty.status_code == 400
    db.session.refresh(payment)
    assert payment.status == "pending"
    assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 0
    assert _allocated() == 0
