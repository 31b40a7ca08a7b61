"""Pausing a debtor's reminders until a day: after a promise, or while a payment they say
they made is checked. The alert policy skips reminders (reason "paused") for a debtor with a
pause running, at planning time and again at sending time (``paused_debtors``).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from portal import audit
from portal.extensions import db
from portal.models import Debtor, ReminderPause

REASONS = ("promise", "payment_claim")


def pause_reminders(debtor: Debtor, until: date, reason: str, *, source: str) -> ReminderPause:
    """Pause ``debtor``'s reminders up to and including ``until``; audited; the caller commits."""
    if reason not in REASONS:
        raise ValueError(f"unknown pause reason {reason!r}")
    pause = ReminderPause(debtor_id=debtor.id, until=until, reason=reason, source=source[:64])
    db.session.add(pause)
    db.session.flush()
    audit.record("debtor", debtor.id, "reminders.paused", pause,
                 after={"until": until.isoformat(), "reason": reason, "source": pause.source})
    return pause


def paused_until(debtor_ids, today: date) -> dict[int, date]:
    """{debtor id: last paused day} for the debtors among ``debtor_ids`` paused on ``today``."""
    ids = list(debtor_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(ReminderPause.debtor_id, func.max(ReminderPause.until))
        .where(ReminderPause.debtor_id.in_(ids), ReminderPause.until >= today)
        .group_by(ReminderPause.debtor_id))
    return {debtor_id: until for debtor_id, until in rows}
