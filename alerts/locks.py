"""The scheduler's database lock: only one scheduler runs jobs at a time.

PostgreSQL: a session advisory lock held on a dedicated connection for the process's
lifetime (released by the server if the process dies). SQLite: a `scheduler_lock` row that
is taken when free or when its holder's heartbeat is older than `stale_seconds`.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from portal.extensions import db
from portal.models import SchedulerLock, utcnow

LOCK_NAME = "scheduler"
ADVISORY_KEY = 0x5A1D0  # any fixed 64-bit number, the same for every Saldo scheduler


class SchedulerLease:
    def __init__(self, holder: str, stale_seconds: int = 120):
        self.holder = holder
        self.stale_seconds = stale_seconds
        self._connection = None

    def _postgres(self) -> bool:
        return db.engine.dialect.name == "postgresql"

    def acquire(self) -> bool:
        """Take the lock if free; True when this process holds it now."""
        if self._postgres():
            if self._connection is None:
                self._connection = db.engine.connect()
            got = self._connection.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                           {"k": ADVISORY_KEY}).scalar()
            self._connection.commit()
            if not got:
                return False
        return self._claim_row()

    def _claim_row(self) -> bool:
        now = utcnow()
        insert = postgresql.insert if self._postgres() else sqlite.insert
        stmt = insert(SchedulerLock).values(name=LOCK_NAME, holder=self.holder,
                                            acquired_at=now, heartbeat_at=now)
        stale = now - timedelta(seconds=self.stale_seconds)
        takeover = (SchedulerLock.heartbeat_at < stale) | (SchedulerLock.holder == self.holder)
        if self._postgres():  # the advisory lock already decided; the row is informational
            takeover = SchedulerLock.name == LOCK_NAME
        stmt = stmt.on_conflict_do_update(
            index_elements=["name"], where=takeover,
            set_={"holder": self.holder, "acquired_at": now, "heartbeat_at": now})
        db.session.execute(stmt)
        db.session.commit()
        holder = db.session.scalar(select(SchedulerLock.holder)
                                   .where(SchedulerLock.name == LOCK_NAME))
        return holder == self.holder

    def beat(self) -> bool:
        """Refresh the heartbeat; False when this process no longer holds the lock (its
        heartbeat went stale and another scheduler took over)."""
        result = db.session.execute(update(SchedulerLock).where(
            SchedulerLock.name == LOCK_NAME, SchedulerLock.holder == self.holder)
            .values(heartbeat_at=utcnow()))
        db.session.commit()
        return bool(result.rowcount)

    def release(self) -> None:
        db.session.execute(delete(SchedulerLock).where(
            SchedulerLock.name == LOCK_NAME, SchedulerLock.holder == self.holder))
        db.session.commit()
        if self._connection is not None:
            self._connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
            self._connection.commit()
            self._connection.close()
            self._connection = None
