"""The urgent loop: sign-in links, receipts, notices and replies leave within seconds.

The scheduler runs `urgent_loop` every minute; each run watches the outbox for almost a
minute. On PostgreSQL it LISTENs on `saldo_outbox` (the web process NOTIFYs when it
enqueues an urgent message, see `alerts.enqueue`) and also looks every few seconds as a
safety net; on SQLite it looks every URGENT_POLL_SECONDS (0.25 s) with one cheap read. Only when
something urgent is due does it run the dispatcher, restricted to urgent kinds, with the
same claims, leases and retries as every other send.
"""

from __future__ import annotations

import logging
import select as selector
import time as clock
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import select

from alerts.enqueue import CHANNEL, URGENT_KINDS
from portal.extensions import db
from portal.models import Message

log = logging.getLogger("saldo.alerts")


def urgent_due(now: datetime) -> bool:
    """Whether an urgent message is due (one indexed read, no write)."""
    return db.session.scalar(select(Message.id).where(
        Message.status == "pending", Message.send_at <= now,
        Message.kind.in_(URGENT_KINDS)).limit(1)) is not None


class Waiter:
    """Sleeps until woken by NOTIFY (PostgreSQL) or for the poll interval (SQLite)."""

    def __init__(self, poll: float):
        self.poll = poll
        self.connection = None
        if db.engine.dialect.name == "postgresql":
            import psycopg

            url = db.engine.url.set(drivername="postgresql").render_as_string(
                hide_password=False)
            self.connection = psycopg.connect(url, autocommit=True)
            self.connection.execute(f"LISTEN {CHANNEL}")

    def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds; True when woken by a notification."""
        if self.connection is None:
            clock.sleep(min(timeout, self.poll))
            return False
        ready, _, _ = selector.select([self.connection.fileno()], [], [], timeout)
        woken = False
        if ready:
            for _ in self.connection.notifies(timeout=0):
                woken = True
        return woken

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


def urgent_loop(seconds: float | None = None, poll: float | None = None,
                channels: dict | None = None) -> dict:
    """Send urgent kinds as they arrive, for `seconds` (default URGENT_LOOP_SECONDS, 58)."""
    from alerts.outbox import dispatch

    config = current_app.config
    seconds = float(config.get("URGENT_LOOP_SECONDS", 58) if seconds is None else seconds)
    poll = float(config.get("URGENT_POLL_SECONDS", 0.25) if poll is None else poll)
    deadline = clock.monotonic() + seconds
    totals = {"sent": 0, "retry": 0, "failed": 0, "cancelled": 0}
    waiter = Waiter(poll)
    safety = max(poll, 5.0) if waiter.connection is not None else poll
    try:
        while True:
            if urgent_due(datetime.now(UTC)):
                counts = dispatch(kinds=URGENT_KINDS, channels=channels)
                for key, value in counts.items():
                    totals[key] += value
            db.session.commit()  # end the read transaction: see new rows next time
            remaining = deadline - clock.monotonic()
            if remaining <= 0:
                break
            waiter.wait(min(safety, remaining))
    finally:
        waiter.close()
    if any(totals.values()):
        log.info("urgent outbox: %s", totals)
    return totals
