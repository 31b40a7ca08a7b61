"""Refunds and successes are applied once under parallel webhooks; a later refund still
applies; the refund total never exceeds the payment."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import func, select

from payments.gateway import gateway
from payments.refunds import refund_payment
from portal.extensions import db
from portal.models import Invoice, Payment, PaymentAllocation, StripeEvent
from tests.factories import deliver, make_debtor, make_invoice, sign_in
from tests.payments.conftest import WEBHOOK_SECRET
from tests.payments.helpers import (
    charge_behind_our_back,
    charge_event,
    pay,
    sign_payload,
    stripe_event,
)
from tests.payments.race.conftest import ATTEMPTS, in_parallel, post, report


def _debtor():
    debtor = make_debtor(email="bia@example.com", locale="pt_BR")
    make_invoice(debtor, issued_on=date(2026, 8, 1), amount_minor=60_000_00, currency="BRL")
    make_invoice(debtor, issued_on=date(2026, 9, 1), amount_minor=40_000_00, currency="BRL")
    db.session.commit()
    return debtor


def _allocated() -> int:
    return db.session.scalar(select(func.coalesce(func.sum(PaymentAllocation.amount_minor), 0)))


def _paid_on_invoices() -> int:
    return db.session.scalar(select(func.coalesce(func.sum(Invoice.paid_minor), 0)))


def send(url: str, event: dict):
    payload = json.dumps(event).encode()
    return post(f"{url}/webhooks/stripe", data=payload, headers={
        "Content-Type": "application/json",
        "Stripe-Signature": sign_payload(payload, WEBHOOK_SECRET)})


def _paid_payment(client) -> Payment:
    response, _ = pay(client)
    assert response.status_code == 200, response.get_json()
    payment = db.session.scalar(select(Payment))
    assert payment.status == "succeeded" and _allocated() == 100_000_00
    return payment


def test_parallel_refund_webhooks_reopen_the_refund_once(
        stripe_app, live_server_url, client, database_url):
    sign_in(client, _debtor())
    payment = _paid_payment(client)
    payment_id, intent_id = payment.id, payment.stripe_payment_intent_id
    gateway().refund(intent_id, 10_000_00, "refund-at-the-dashboard")
    events = [charge_event(intent_id, f"evt_refund_copy_{i}", amount_refunded=10_000_00)
              for i in range(ATTEMPTS)]

    results = in_parallel(ATTEMPTS, lambda i: send(live_server_url, events[i]).status_code)
    payment = db.session.get(Payment, payment_id)
    reopened = 100_000_00 - _paid_on_invoices()
    report("refund-webhooks", database_url, attempts=ATTEMPTS, refunded=10_000_00,
           refunds_applied=payment.refunded_minor, reopened=reopened)
    assert results == [200] * ATTEMPTS
    assert payment.refunded_minor == 10_000_00 and payment.status == "partially_refunded"
    assert reopened == 10_000_00 and _allocated() == 90_000_00

    # A later, legitimate refund still applies, and the total never exceeds the payment.
    assert refund_payment(payment, 5_000_00) == 5_000_00
    db.session.refresh(payment)
    assert payment.refunded_minor == 15_000_00 and _allocated() == 85_000_00
    late = charge_event(intent_id, "evt_refund_late", amount_refunded=15_000_00)
    assert send(live_server_url, late).status_code == 200
    beyond = charge_event(intent_id, "evt_refund_beyond", amount_refunded=200_000_00)
    assert send(live_server_url, beyond).status_code == 200
    db.session.remove()
    payment = db.session.get(Payment, payment_id)
    assert payment.refunded_minor <= payment.amount_minor
    assert _allocated() == payment.amount_minor - payment.refunded_minor


def test_parallel_copies_of_one_refund_event_apply_it_once(
        stripe_app, live_server_url, client, database_url):
    sign_in(client, _debtor())
    payment = _paid_payment(client)
    payment_id, intent_id = payment.id, payment.stripe_payment_intent_id
    gateway().refund(intent_id, 30_000_00, "refund-at-the-dashboard")
    event = charge_event(intent_id, "evt_refund_once", amount_refunded=30_000_00)

    results = in_parallel(ATTEMPTS, lambda i: send(live_server_url, event).json()["status"])
    payment = db.session.get(Payment, payment_id)
    report("refund-event-copies", database_url, attempts=ATTEMPTS,
           refunds_applied=payment.refunded_minor, reopened=100_000_00 - _paid_on_invoices())
    assert sorted(results) == ["duplicate"] * (ATTEMPTS - 1) + ["ok"]
    assert payment.refunded_minor == 30_000_00 and _allocated() == 70_000_00
    assert db.session.scalar(select(func.count()).select_from(StripeEvent)) >= 1


def test_parallel_success_webhooks_allocate_once(
        stripe_app, live_server_url, client, database_url, smtp_server):
    sign_in(client, _debtor())
    payment_id, intent_id = charge_behind_our_back(client)
    event = stripe_event(intent_id)
    events = [dict(event, id=f"{event['id']}_{i}") for i in range(ATTEMPTS)]

    results = in_parallel(ATTEMPTS, lambda i: send(live_server_url, events[i]).status_code)
    deliver()  # receipts go through the outbox; the urgent loop sends them within seconds
    payment = db.session.get(Payment, payment_id)
    report("success-webhooks", database_url, attempts=ATTEMPTS, allocated=_allocated(),
           receipts=len(smtp_server.messages))
    assert results == [200] * ATTEMPTS
    assert payment.status == "succeeded" and _allocated() == 100_000_00
    assert len(smtp_server.messages) == 1
