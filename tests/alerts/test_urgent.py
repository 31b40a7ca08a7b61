"""The urgent loop: woken by NOTIFY on PostgreSQL, a short poll on SQLite; it sends only the
kinds a person is waiting for, with the dispatcher's claims."""

from __future__ import annotations

from sqlalchemy import select

from alerts.enqueue import URGENT_KINDS, enqueue
from alerts.urgent import Waiter, urgent_due, urgent_loop
from portal.extensions import db
from portal.models import Message, utcnow
from tests.alerts.conftest import queue
from tests.factories import make_debtor, make_invoice


def test_enqueue_wakes_a_listener_on_postgresql_and_polls_on_sqlite(app):
    debtor = make_debtor()
    db.session.commit()
    waiter = Waiter(poll=0.05)
    try:
        assert waiter.wait(0) is False  # nothing yet
        enqueue(debtor, "signin_link", "email", reason="test")
        db.session.commit()
        woken = waiter.wait(5)
    finally:
        waiter.close()
    # PostgreSQL delivers the NOTIFY sent with the commit; SQLite has none and polls.
    assert woken is (db.engine.dialect.name == "postgresql")


def test_a_repeated_enqueue_is_one_row(app):
    debtor = make_debtor()
    first = enqueue(debtor, "receipt", "email", reason="t", dedupe_key="receipt:x")
    again = enqueue(debtor, "receipt", "email", reason="t", dedupe_key="receipt:x")
    db.session.commit()
    assert first is not None and again is None
    assert len(db.session.scalars(select(Message)).all()) == 1


def test_the_urgent_loop_sends_urgent_kinds_and_leaves_reminders(app, smtp_server):
    debtor = make_debtor(email="rosa@example.com")
    reminder = queue(debtor, make_invoice(debtor))
    link = enqueue(debtor, "signin_link", "email", reason="test")
    db.session.commit()
    assert "reminder" not in URGENT_KINDS and urgent_due(utcnow())
    counts = urgent_loop(seconds=0.2, poll=0.05)
    assert counts["sent"] == 1 and not urgent_due(utcnow())
    db.session.expire_all()
    assert db.session.get(Message, link).status == "sent"
    assert db.session.get(Message, reminder.id).status == "pending"
    [mail] = smtp_server.messages
    assert mail["Subject"] == "Tu enlace a tu cuenta" and "/l/" in mail.get_content()
