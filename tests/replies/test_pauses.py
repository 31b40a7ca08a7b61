"""Reminder pauses: the planner skips a paused debtor's reminders (reason "paused") until the
last paused day, and plans them again after it."""

from datetime import timedelta

from sqlalchemy import select

from alerts.planner import plan
from portal.extensions import db
from portal.models import AuditEvent, Message
from portal.operations.pauses import pause_reminders, paused_until
from tests.alerts.test_planner import NOW, TODAY, setup_portfolio


def test_a_paused_debtor_gets_no_reminders_until_the_pause_ends(app):
    high, _invoice = setup_portfolio()
    pause_reminders(high, TODAY + timedelta(days=1), "payment_claim", source="reply:1")
    db.session.commit()
    assert paused_until([high.id], TODAY) == {high.id: TODAY + timedelta(days=1)}
    result = plan(TODAY, now=NOW)
    assert result["planned"] == []
    assert result["skipped"]["paused"] == 1
    skipped = db.session.scalar(select(Message).where(Message.debtor_id == high.id))
    assert (skipped.status, skipped.reason) == ("skipped", "paused")
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "reminders.paused")).after["reason"] == "payment_claim"


def test_an_ended_pause_no_longer_counts(app):
    high, _invoice = setup_portfolio()
    pause_reminders(high, TODAY - timedelta(days=1), "promise", source="reply:2")
    db.session.commit()
    assert paused_until([high.id], TODAY) == {}
    assert [p["customer_id"] for p in plan(TODAY, now=NOW)["planned"]] == ["C-HIGH"]
