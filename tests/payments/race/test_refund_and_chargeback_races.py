"""Staff refunds and chargebacks under parallel requests: one refund at Stripe for one
confirmation sent many times; one reopening for a lost chargeback sent many times."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Chargeback, Invoice, Payment
from tests.factories import csrf_token, make_debtor, make_invoice, sign_in
from tests.payments.conftest import WEBHOOK_SECRET
from tests.payments.helpers import dispute_event, pay, sign_payload
from tests.payments.race.conftest import ATTEMPTS, browser_cookie, in_parallel, post, report
from tests.payments.test_staff_refunds import stripe_refunded


def _paid(client) -> Payment:
    debtor = make_debtor(email="bia@example.com", locale="pt_BR")
    make_invoice(debtor, issued_on=date(2026, 8, 1), amount_minor=60_000_00, currency="BRL")
    make_invoice(debtor, issued_on=date(2026, 9, 1), amount_minor=40_000_00, currency="BRL")
    db.session.commit()
    sign_in(client, debtor)
    response, _ = pay(client)
    assert response.status_code == 200
    return db.session.scalar(select(Payment))


def test_parallel_refund_confirmations_refund_once(stripe_app, live_server_url, client,
                                                   staff_client, database_url):
    payment = _paid(client)
    payment_id, intent_id = payment.id, payment.stripe_payment_intent_id
    admin, _ = staff_client("admin")
    token = csrf_token(admin, f"/staff/payments/{payment_id}")
    cookie = browser_cookie(admin)

    def confirm(_):
        return post(f"{live_server_url}/staff/payments/{payment_id}/refund", cookie=cookie,
                    data={"csrf_token": token, "confirm": "1", "amount_minor": "1000000",
                          "expected_refunded": "0"}).status_code

    results = in_parallel(ATTEMPTS, confirm)
    refunds = stripe_refunded(intent_id)
    payment = db.session.get(Payment, payment_id)
    report("staff-refund", database_url, attempts=ATTEMPTS, stripe_refunds=len(refunds),
           refunded=payment.refunded_minor)
    assert refunds == [10_000_00]
    assert payment.refunded_minor == 10_000_00
    assert sorted(results) == [302] + [409] * (ATTEMPTS - 1)


def test_parallel_lost_chargeback_events_reopen_once(stripe_app, live_server_url, client,
                                                     database_url):
    payment = _paid(client)
    payment_id, intent_id = payment.id, payment.stripe_payment_intent_id
    opened = dispute_event(intent_id, "charge.dispute.created", "needs_response")
    closed = [dispute_event(intent_id, "charge.dispute.closed", "lost",
                            event_id=f"evt_lost_copy_{i}") for i in range(ATTEMPTS)]

    def send(event):
        payload = json.dumps(event).encode()
        return post(f"{live_server_url}/webhooks/stripe", data=payload, headers={
            "Content-Type": "application/json",
            "Stripe-Signature": sign_payload(payload, WEBHOOK_SECRET)}).status_code

    assert send(opened) == 200
    results = in_parallel(ATTEMPTS, lambda i: send(closed[i]))
    payment = db.session.get(Payment, payment_id)
    reopened = 100_000_00 - db.session.scalar(select(func.sum(Invoice.paid_minor)))
    report("chargeback-lost", database_url, attempts=ATTEMPTS, reopened=reopened,
           refunded=payment.refunded_minor)
    assert results == [200] * ATTEMPTS
    assert reopened == 100_000_00 and payment.refunded_minor == 100_000_00
    assert db.session.scalar(select(Chargeback.released_minor)) == 100_000_00
