"""The staging table: validated rows land here first, then are applied to the ledger in sets.

A temporary table on the import's own connection: on PostgreSQL it is filled with `COPY`
(psycopg 3 `cursor.copy()`); on SQLite with `executemany`, and because SQLite keeps temporary
tables in a separate file, staging never takes the write lock of the main database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import Connection, text

from portal.ledger.rows import LedgerRow

STAGE = "ledger_stage"
ERRORS = "ledger_stage_error"
DEBTORS = "ledger_stage_debtor"

# (stage column, debtor column) for the customer facts a row may carry. On import the last
# row that gives a value wins, and a value the file leaves out is kept as it is.
DEBTOR_FIELDS = (
    ("customer_name", "name"), ("email", "email"), ("phone", "phone"), ("locale", "locale"),
    ("timezone", "timezone"), ("country", "country"), ("paperless", "paperless"),
    ("identity_kind", "identity_kind"), ("identity_hash", "identity_hash"),
    ("consent_email", "consent_email_at"), ("consent_sms", "consent_sms_at"),
    ("consent_whatsapp", "consent_whatsapp_at"),
)

# (column, PostgreSQL type, SQLite type), in COPY order.
COLUMNS = (
    ("line", "integer", "INTEGER PRIMARY KEY"),
    ("customer_id", "text", "TEXT"),
    ("invoice_id", "text", "TEXT"),
    ("issued_on", "date", "TEXT"),
    ("due_on", "date", "TEXT"),
    ("amount_minor", "bigint", "INTEGER"),
    ("currency", "text", "TEXT"),
    ("settled_on", "date", "TEXT"),
    ("paid_minor", "bigint", "INTEGER"),
    ("disputed", "boolean", "INTEGER"),
    ("paperless", "boolean", "INTEGER"),
    ("customer_name", "text", "TEXT"),
    ("email", "text", "TEXT"),
    ("phone", "text", "TEXT"),
    ("locale", "text", "TEXT"),
    ("timezone", "text", "TEXT"),
    ("country", "text", "TEXT"),
    ("identity_kind", "text", "TEXT"),
    ("identity_hash", "text", "TEXT"),
    ("consent_email", "date", "TEXT"),
    ("consent_sms", "date", "TEXT"),
    ("consent_whatsapp", "date", "TEXT"),
)
NAMES = tuple(name for name, _, _ in COLUMNS)


def staged(line: int, row: LedgerRow, identity: tuple[str, str] | None) -> tuple:
    """The staging tuple of one valid row (identity: (kind, stored hash) or None)."""
    kind, hashed = identity or (None, None)
    return (
        line, row.customer_id, row.invoice_id, row.issued_on, row.due_on, row.amount_minor,
        row.currency, row.settled_on, row.paid_minor, row.disputed, row.paperless,
        row.customer_name, row.email, row.phone, row.locale, row.timezone, row.country,
        kind, hashed, row.consent_email, row.consent_sms, row.consent_whatsapp,
    )


class Stage:
    """The staging tables on one connection: create, fill in chunks, drop."""

    def __init__(self, conn: Connection):
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"

    def create(self) -> None:
        self.drop()
        if self.postgres:
            cols = ", ".join(f"{name} {pg}" for name, pg, _ in COLUMNS)
            self.conn.execute(text(f"CREATE TEMPORARY TABLE {STAGE} ({cols})"))
            self.conn.execute(text(
                f"CREATE TEMPORARY TABLE {ERRORS} (line integer PRIMARY KEY, code text, "
                "first_line integer)"))
        else:
            cols = ", ".join(f"{name} {lite}" for name, _, lite in COLUMNS)
            self.conn.execute(text(f"CREATE TEMPORARY TABLE {STAGE} ({cols})"))
            self.conn.execute(text(
                f"CREATE TEMPORARY TABLE {ERRORS} (line INTEGER PRIMARY KEY, code TEXT, "
                "first_line INTEGER)"))

    @contextmanager
    def writer(self) -> Iterator[Callable[[Sequence[tuple]], None]]:
        """A function that stages chunks of rows. On PostgreSQL one `COPY` stays open for
        the whole file, so the server stores rows while the next ones are validated."""
        cursor = self.conn.connection.driver_connection.cursor()
        try:
            if self.postgres:
                with cursor.copy(f"COPY {STAGE} ({', '.join(NAMES)}) FROM STDIN") as copy:
                    write_row = copy.write_row

                    def write(rows: Sequence[tuple]) -> None:
                        for row in rows:
                            write_row(row)

                    yield write
            else:
                statement = f"INSERT INTO {STAGE} VALUES ({', '.join('?' * len(NAMES))})"
                yield lambda rows: cursor.executemany(statement, map(_for_sqlite, rows))
        finally:
            cursor.close()

    def finish(self) -> None:
        """Index and analyse the filled table so the set-based statements plan well."""
        if self.postgres:
            self.conn.execute(text(f"ANALYZE {STAGE}"))
        else:
            self.conn.execute(text(f"CREATE INDEX temp.ix_{STAGE}_invoice ON {STAGE} (invoice_id)"))
            self.conn.execute(text(
                f"CREATE INDEX temp.ix_{STAGE}_customer ON {STAGE} (customer_id)"))

    def drop(self) -> None:
        for table in (STAGE, ERRORS, DEBTORS):
            self.conn.execute(text(f"DROP TABLE IF EXISTS {table}"))


_DATES = tuple(i for i, (_, pg, _) in enumerate(COLUMNS) if pg == "date")


def _for_sqlite(row: tuple) -> list:
    """Dates as ISO text, the way SQLAlchemy stores them on SQLite (booleans are ints)."""
    values = list(row)
    for i in _DATES:
        if values[i] is not None:
            values[i] = values[i].isoformat()
    return values
