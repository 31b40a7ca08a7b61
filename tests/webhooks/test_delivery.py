"""Events reach a real receiver signed; failures are retried with backoff for three days;
two dispatchers never send one delivery twice; staff see the log and can resend."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from payments.external import record_external_payment
from portal.extensions import db
from portal.models import WebhookAttempt, WebhookDelivery, WebhookEvent
from portal.webhooks.dispatch import deliver_due, next_attempt, resend
from portal.webhooks.events import emit
from tests.factories import make_invoice


def pay(invoice, amount=None, reference="TR-1"):
    payment, _ = record_external_payment(
        invoice.debtor, amount_minor=amount or invoice.amount_minor, currency=invoice.currency,
        method="transfer", reference=reference, received_on=datetime.now(UTC).date())
    db.session.commit()
    return payment


def test_payment_reaches_the_receiver_signed(app, receiver):
    server, endpoint = receiver
    invoice = make_invoice(currency="USD", amount_minor=5000)
    payment = pay(invoice)
    counts = deliver_due()
    assert counts == {"delivered": 2, "pending": 0, "failed": 0}
    assert [e["type"] for e in server.events] == ["payment.succeeded", "invoice.paid"]
    assert all(r["valid"] for r in server.requests)
    paid = server.events[1]["data"]["object"]
    assert paid["object"] == "invoice" and paid["invoice_id"] == invoice.external_id
    assert paid["status"] == "paid" and paid["amount_minor"] == 5000
    succeeded = server.events[0]
    assert succeeded["data"]["object"]["id"] == payment.id
    assert succeeded["id"].startswith("evt_")
    assert server.requests[0]["headers"]["Saldo-Event-Type"] == "payment.succeeded"
    log = db.session.scalars(select(WebhookAttempt)).all()
    assert sorted(a.status_code for a in log) == [200, 200]
    assert deliver_due() == {"delivered": 0, "pending": 0, "failed": 0}


def test_nothing_is_stored_without_a_listening_endpoint(app):
    invoice = make_invoice(currency="USD")
    pay(invoice)
    assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 0


def test_an_endpoint_gets_only_its_events(app, receiver):
    server, endpoint = receiver
    endpoint.events = ["invoice.paid"]
    db.session.commit()
    pay(make_invoice(currency="USD"))
    deliver_due()
    assert [e["type"] for e in server.events] == ["invoice.paid"]


def test_failures_are_retried_with_backoff_then_fail_after_three_days(app, receiver):
    server, _ = receiver
    server.status = 500
    emit("debtor.opted_out", {"object": "debtor_opt_out", "customer_id": "C-1"})
    db.session.commit()
    delivery = db.session.scalar(select(WebhookDelivery))
    created = now = delivery.send_at
    waits = []
    for _ in range(30):
        counts = deliver_due(now=now)
        db.session.expire_all()
        delivery = db.session.get(WebhookDelivery, delivery.id)
        if delivery.status == "failed":
            break
        assert counts["pending"] == 1 and delivery.last_status_code == 500
        waits.append(delivery.send_at - now)
        now = delivery.send_at
    assert delivery.status == "failed"
    assert waits[:4] == [timedelta(minutes=m) for m in (1, 4, 16, 64)]
    assert max(waits) == timedelta(hours=8)
    assert created + timedelta(days=2) < now <= created + timedelta(days=3)
    attempts = db.session.scalars(select(WebhookAttempt)).all()
    assert len(attempts) == delivery.attempts and {a.status_code for a in attempts} == {500}

    server.status = 200  # fixed on their side: staff resend from the console
    assert resend(delivery) is True
    db.session.commit()
    assert deliver_due()["delivered"] == 1
    assert [e["type"] for e in server.events] == ["debtor.opted_out"]


def test_backoff_schedule():
    start = datetime(2026, 11, 1, tzinfo=UTC)
    assert next_attempt(start, 1, start) == start + timedelta(minutes=1)
    assert next_attempt(start, 3, start) == start + timedelta(minutes=16)
    assert next_attempt(start, 9, start) == start + timedelta(hours=8)
    assert next_attempt(start, 2, start + timedelta(days=3)) is None


def test_unreachable_receiver_is_retried(app, receiver):
    server, _ = receiver
    server.shutdown()
    server.server_close()
    emit("debtor.opted_out", {"object": "debtor_opt_out", "customer_id": "C-1"})
    db.session.commit()
    assert deliver_due()["pending"] == 1
    attempt = db.session.scalar(select(WebhookAttempt))
    assert attempt.status_code is None and "Connection" in attempt.error


def test_private_target_is_refused_at_send_time(app, receiver):
    app.config["WEBHOOKS_ALLOW_PRIVATE"] = False
    emit("debtor.opted_out", {"object": "debtor_opt_out", "customer_id": "C-1"})
    db.session.commit()
    assert deliver_due()["pending"] == 1
    server, _ = receiver
    assert server.requests == []
    assert "private" in db.session.scalar(select(WebhookAttempt)).error


def test_two_dispatchers_send_each_delivery_once(app, receiver):
    server, _ = receiver
    for n in range(12):
        emit("debtor.opted_out", {"object": "debtor_opt_out", "customer_id": f"C-{n}"})
    db.session.commit()
    results: list = []
    start = threading.Barrier(2)

    def run() -> None:
        with app.app_context():
            start.wait()
            results.append(deliver_due(batch=3))
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r["delivered"] for r in results) == 12
    ids = [e["id"] for e in server.events]
    assert len(ids) == 12 and len(set(ids)) == 12
