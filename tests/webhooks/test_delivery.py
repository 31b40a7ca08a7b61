"""Webhooks are outbox messages: they reach a real receiver signed; failures are retried
with backoff for three days; two dispatchers never send one twice; staff can resend; and
no reminder rule (opt-outs, contact limits, quiet hours) ever touches them."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select

from alerts.outbox import dispatch
from alerts.snapshot import _contacts
from payments.external import record_external_payment
from portal.debtor.preferences import opt_out
from portal.extensions import db
from portal.models import Message, WebhookAttempt, WebhookEvent
from portal.webhooks.delivery import deliver_due, next_attempt, resend
from portal.webhooks.events import emit
from portal.webhooks.signing import HEADER, verify
from tests.factories import make_debtor, make_invoice

NONE_DUE = {"delivered": 0, "pending": 0, "failed": 0, "cancelled": 0}


def pay(invoice, amount=None, reference="TR-1"):
    payment, _ = record_external_payment(
        invoice.debtor, amount_minor=amount or invoice.amount_minor, currency=invoice.currency,
        method="transfer", reference=reference, received_on=datetime.now(UTC).date())
    db.session.commit()
    return payment


def hooks() -> list[Message]:
    return list(db.session.scalars(select(Message).where(Message.kind == "webhook")
                                   .order_by(Message.id)))


def test_payment_reaches_the_receiver_signed_through_the_outbox(app, receiver):
    server, endpoint = receiver
    invoice = make_invoice(currency="USD", amount_minor=5000)
    payment = pay(invoice)
    queued = hooks()
    assert [(m.reason, m.channel, m.debtor_id, m.webhook_endpoint_id) for m in queued] == [
        ("payment.succeeded", "webhook", None, endpoint.id),
        ("invoice.paid", "webhook", None, endpoint.id)]
    counts = deliver_due()
    assert counts == {**NONE_DUE, "delivered": 2}
    # Sender threads work in parallel: events may arrive in any order (receivers are told).
    events = sorted(server.events, key=lambda e: int(e["id"].removeprefix("evt_")))
    assert [e["type"] for e in events] == ["payment.succeeded", "invoice.paid"]
    assert all(r["valid"] for r in server.requests)
    request = server.requests[0]
    assert verify(endpoint.secret, request["headers"][HEADER], request["body"])
    assert not verify("whsec_other", request["headers"][HEADER], request["body"])
    paid = events[1]["data"]["object"]
    assert paid["object"] == "invoice" and paid["invoice_id"] == invoice.external_id
    assert paid["status"] == "paid" and paid["amount_minor"] == 5000
    succeeded = events[0]
    assert succeeded["data"]["object"]["id"] == payment.id
    assert succeeded["id"].startswith("evt_")
    assert request["headers"]["Saldo-Event-Type"] in ("payment.succeeded", "invoice.paid")
    assert request["headers"]["Saldo-Event-Id"] == json.loads(request["body"])["id"]
    db.session.expire_all()
    assert [(m.status, m.provider_id) for m in hooks()] == [("sent", "HTTP 200")] * 2
    log = db.session.scalars(select(WebhookAttempt)).all()
    assert sorted(a.status_code for a in log) == [200, 200]
    assert {a.message_id for a in log} == {m.id for m in queued}
    assert deliver_due() == NONE_DUE


def test_the_ordinary_dispatcher_sends_webhooks_too(app, receiver):
    server, _ = receiver
    emit("debtor.opted_out", {"object": "debtor_opt_out", "customer_id": "C-1"})
    db.session.commit()
    assert dispatch()["sent"] == 1
    assert [e["type"] for e in server.events] == ["debtor.opted_out"]


def test_the_urgent_loop_sends_webhooks_within_seconds(app, receiver):
    from alerts.urgent import urgent_loop

    server, _ = receiver
    emit("debtor.opted_out", {"object": "debtor_opt_out", "customer_id": "C-1"})
    db.session.commit()
    assert urgent_loop(seconds=0.5, poll=0.05)["sent"] == 1
    assert [e["type"] for e in server.events] == ["debtor.opted_out"]


def test_nothing_is_stored_without_a_listening_endpoint(app):
    invoice = make_invoice(currency="USD")
    pay(invoice)
    assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 0
    assert hooks() == []


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
    message = hooks()[0]
    created = now = message.send_at
    waits = []
    for _ in range(40):
        counts = deliver_due(now=now)
        db.session.expire_all()
        message = db.session.get(Message, message.id)
        if message.status == "failed":
            break
        assert counts["pending"] == 1 and message.last_error == "HTTP 500"
        waits.append(message.send_at - now)
        now = message.send_at
    assert message.status == "failed" and counts["failed"] == 1
    assert waits[:5] == [timedelta(minutes=m) for m in (1, 4, 16, 64, 256)]
    assert max(waits) == timedelta(hours=8) and waits[-1] <= timedelta(hours=8)
    assert created + timedelta(days=2) < now <= created + timedelta(days=3)
    attempts = db.session.scalars(select(WebhookAttempt)).all()
    assert len(attempts) == message.attempts == len(waits) + 1
    assert {a.status_code for a in attempts} == {500}
    assert deliver_due(now=now + timedelta(days=1)) == NONE_DUE  # failed stays failed

    server.status = 200  # fixed on their side: staff resend from the console
    assert resend(message) is True
    assert resend(message) is False  # already waiting
    db.session.commit()
    assert deliver_due()["delivered"] == 1
    assert [e["type"] for e in server.events] == ["debtor.opted_out"]
    assert db.session.get(Message, message.id).status == "sent"
    assert resend(db.session.get(Message, message.id)) is True  # a delivered one, again
    db.session.commit()
    assert deliver_due()["delivered"] == 1
    ids = [e["id"] for e in server.events]
    assert len(ids) == 2 and len(set(ids)) == 1  # the same event id: receivers de-duplicate


def test_backoff_schedule():
    start = datetime(2026, 11, 1, tzinfo=UTC)
    assert next_attempt(start, 1, start) == start + timedelta(minutes=1)
    assert next_attempt(start, 2, start) == start + timedelta(minutes=4)
    assert next_attempt(start, 3, start) == start + timedelta(minutes=16)
    assert next_attempt(start, 4, start) == start + timedelta(minutes=64)
    assert next_attempt(start, 9, start) == start + timedelta(hours=8)
    assert next_attempt(start, 40, start) == start + timedelta(hours=8)
    late = start + timedelta(days=3) - timedelta(minutes=2)
    assert next_attempt(start, 1, late) == late + timedelta(minutes=1)
    assert next_attempt(start, 2, late) is None  # would fall after the three days
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
    attempt = db.session.scalar(select(WebhookAttempt))
    assert attempt.status_code is None and "private" in attempt.error
    assert "loopback" in hooks()[0].last_error


def test_a_switched_off_endpoint_gets_nothing_until_resent(app, receiver):
    server, endpoint = receiver
    emit("debtor.opted_out", {"object": "debtor_opt_out", "customer_id": "C-1"})
    endpoint.is_active = False
    db.session.commit()
    assert deliver_due()["cancelled"] == 1
    assert server.requests == [] and hooks()[0].last_error == "endpoint_disabled"
    endpoint.is_active = True
    assert resend(hooks()[0]) is True
    db.session.commit()
    assert deliver_due()["delivered"] == 1 and len(server.events) == 1


def test_reminder_rules_never_hold_a_webhook_back_or_count_it(app, receiver):
    """An opted-out debtor in quiet hours with a full week of contacts: their
    `debtor.opted_out` webhook still goes, and is none of their messages."""
    server, _ = receiver
    debtor = make_debtor(quiet_start=time(0, 0), quiet_end=time(23, 59), timezone="UTC")
    db.session.commit()
    assert opt_out(debtor, source="unsubscribe_link") is True
    db.session.commit()
    assert deliver_due()["delivered"] == 1
    event = server.events[0]
    assert event["type"] == "debtor.opted_out"
    assert event["data"]["object"]["customer_id"] == debtor.external_id
    assert _contacts([debtor.id], datetime.now(UTC)) == {}
    mine = db.session.scalar(select(func.count()).select_from(Message).where(
        Message.debtor_id == debtor.id))
    assert mine == 0


def test_a_webhook_row_must_name_its_event_and_endpoint_and_no_debtor(app, receiver):
    import pytest
    from sqlalchemy.exc import IntegrityError

    _, endpoint = receiver
    debtor = make_debtor()
    event = emit("debtor.opted_out", {"object": "debtor_opt_out", "customer_id": "C-1"})
    db.session.commit()
    now = datetime.now(UTC)
    common = {"kind": "webhook", "channel": "webhook", "template": "webhook", "rule": "webhook",
              "reason": "x", "status": "pending", "send_at": now, "created_at": now}
    for n, wrong in enumerate(({"debtor_id": debtor.id, "webhook_event_id": event.id,
                                "webhook_endpoint_id": endpoint.id},
                               {"webhook_event_id": event.id})):
        db.session.add(Message(dedupe_key=f"bad:{n}", **common, **wrong))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_two_dispatchers_send_each_webhook_once(app, receiver):
    server, _ = receiver
    for n in range(24):
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
    assert sum(r["delivered"] for r in results) == 24
    ids = [e["id"] for e in server.events]
    assert len(ids) == 24 and len(set(ids)) == 24
    assert db.session.scalar(select(func.count()).select_from(WebhookAttempt)) == 24
    db.session.expire_all()
    assert {(m.status, m.attempts) for m in hooks()} == {("sent", 1)}
