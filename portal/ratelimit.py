"""Rate-limit counters that every web worker shares.

With `RATELIMIT_STORAGE_URI` set (e.g. `redis://…`), Flask-Limiter uses that storage. Without
it, counters live in a small SQLite file in the instance folder (`ratelimits.sqlite`, WAL
mode): every gunicorn worker on the host opens the same file, each hit is one atomic
`INSERT … ON CONFLICT DO UPDATE … RETURNING`, and counts survive a worker being killed.
A deployment with web servers on several hosts sets RATELIMIT_STORAGE_URI to a Redis they
share. (Why not the application database: see docs/ARCHITECTURE.md.)

`SQLiteFileStorage` implements the `limits` storage interface for the fixed-window strategy
(Flask-Limiter's default, which `portal.config` pins).
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
from pathlib import Path

from limits.storage import Storage

SCHEME = "saldo+sqlite"
FILE_NAME = "ratelimits.sqlite"


def default_storage_uri(instance_path: str) -> str:
    return f"{SCHEME}://{Path(instance_path, FILE_NAME).resolve()}"


class SQLiteFileStorage(Storage):
    """Fixed-window counters in a SQLite file shared by the processes of one host."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options) -> None:
        self.path = uri.split("://", 1)[1]
        self.timeout = float(options.get("timeout", 10))
        self._local = threading.local()
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._connection().execute(
            "CREATE TABLE IF NOT EXISTS rate_limit (key TEXT PRIMARY KEY, "
            "count INTEGER NOT NULL, expires_at REAL NOT NULL)")

    @property
    def base_exceptions(self):
        return sqlite3.Error

    def _connection(self) -> sqlite3.Connection:
        """One autocommit connection per thread and process (gunicorn forks workers)."""
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != os.getpid():
            conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add `amount` to the window counter of `key` (a new window when the last one
        ended) and return the new count, in one statement."""
        now = time.time()
        conn = self._connection()
        count = conn.execute(
            "INSERT INTO rate_limit (key, count, expires_at) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET "
            "count = CASE WHEN expires_at <= ? THEN excluded.count "
            "             ELSE count + excluded.count END, "
            "expires_at = CASE WHEN expires_at <= ? THEN excluded.expires_at "
            "                  ELSE expires_at END "
            "RETURNING count", (key, amount, now + expiry, now, now)).fetchone()[0]
        if random.random() < 0.01:  # noqa: S311 - housekeeping, not security
            conn.execute("DELETE FROM rate_limit WHERE expires_at < ?", (now - 3600,))
        return int(count)

    def get(self, key: str) -> int:
        row = self._connection().execute(
            "SELECT count FROM rate_limit WHERE key = ? AND expires_at > ?",
            (key, time.time())).fetchone()
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._connection().execute(
            "SELECT expires_at FROM rate_limit WHERE key = ?", (key,)).fetchone()
        return float(row[0]) if row else time.time()

    def check(self) -> bool:
        try:
            self._connection().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        return self._connection().execute("DELETE FROM rate_limit").rowcount

    def clear(self, key: str) -> None:
        self._connection().execute("DELETE FROM rate_limit WHERE key = ?", (key,))
