"""A first load on PostgreSQL: build the ledger's secondary indexes once, after the rows.

Keeping a non-unique index up to date costs a random B-tree insertion (and its WAL) per row;
building it after the load costs one sort. When the file is much larger than the ledger it
goes into (the first load, or a ledger replaced wholesale), `dropped` drops those indexes inside
the import's transaction and builds them again from their own definitions after the apply,
as `pg_restore` does. Unique indexes stay: they are the `ON CONFLICT` arbiters and the
checks the apply relies on.

The trade-off: `DROP INDEX` takes an ACCESS EXCLUSIVE lock on the table, held until the
import commits, so portal pages and jobs that read invoices or payments wait for the rest
of the import (seconds to tens of seconds). It is taken only when it pays and the ledger is
small beside the file (a first load: few debtors to keep waiting), never inside a
caller's transaction, and never by waiting: if the lock is not granted within
`LOCK_TIMEOUT`, the import goes on with the indexes in place. A failed import rolls the
drop back with everything else.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

TABLES = ("invoice", "payment")
# Rebuilding sorts the whole table, maintaining costs per new row, and the lock makes the
# portal wait: only a file this large, and at least SHARE times the ledger already there
# (its invoices counted exactly, up to rows / SHARE).
MIN_ROWS = 100_000
SHARE = 10
LOCK_TIMEOUT = "2s"
MAINTENANCE_WORK_MEM = "256MB"  # each index is sorted in memory


def worth_it(conn: Connection, rows: int) -> bool:
    """A large file going into a ledger with less than a SHAREth of its rows in invoices
    (the first load, or a ledger replaced wholesale)."""
    if conn.dialect.name != "postgresql" or rows < MIN_ROWS:
        return False
    limit = rows // SHARE
    existing = conn.scalar(text("SELECT count(*) FROM (SELECT 1 FROM invoice LIMIT :n) x"),
                           {"n": limit})
    return existing < limit


def _secondary(conn: Connection) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of the non-unique indexes on TABLES."""
    tables = ", ".join(f"'{table}'::regclass" for table in TABLES)
    query = (f"SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "  # noqa: S608
             "JOIN pg_class c ON c.oid = i.indexrelid "
             f"WHERE i.indrelid IN ({tables}) AND NOT i.indisunique AND NOT i.indisprimary "
             "ORDER BY c.relname")
    return [tuple(row) for row in conn.execute(text(query))]


def _drop(conn: Connection) -> list[tuple[str, str]]:
    """Lock the tables (without waiting long) and drop their secondary indexes; [] if the
    lock was not granted."""
    timeout = text("SELECT set_config('lock_timeout', :t, true)")
    before = conn.scalar(text("SELECT current_setting('lock_timeout')"))
    try:
        with conn.begin_nested():
            conn.execute(timeout, {"t": LOCK_TIMEOUT})
            conn.execute(text(f"LOCK TABLE {', '.join(TABLES)} IN ACCESS EXCLUSIVE MODE"))
    except DBAPIError:  # busy: keep the indexes, wait for no one (the setting rolled back)
        return []
    conn.execute(timeout, {"t": before})
    indexes = _secondary(conn)
    for name, _ in indexes:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    return indexes


def empty(conn: Connection) -> bool:
    """No invoice and no payment yet (call while `dropped` holds the tables: none can
    appear before the import commits)."""
    return bool(conn.scalar(text(
        "SELECT NOT EXISTS (SELECT 1 FROM invoice) AND NOT EXISTS (SELECT 1 FROM payment)")))


@contextmanager
def dropped(conn: Connection, enabled: bool) -> Iterator[list[str]]:
    """Inside the import's transaction: without the secondary indexes when `enabled`,
    then build them again. Yields the names of the indexes dropped."""
    indexes = _drop(conn) if enabled else []
    yield [name for name, _ in indexes]
    if indexes:
        conn.execute(text("SELECT set_config('maintenance_work_mem', :m, true)"),
                     {"m": MAINTENANCE_WORK_MEM})
        for _, definition in indexes:
            conn.exec_driver_sql(definition)
