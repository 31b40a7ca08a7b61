"""Set-based checks and upserts from the staging table into the ledger.

`check` finds what only the database can tell (duplicates within the file, invoices that
would move between customers, payments made in Saldo) and records those rows in the error
table, by line. `apply_range` then upserts the valid rows of a range of lines: debtors,
invoices (`INSERT … ON CONFLICT (external_id) DO UPDATE`), the imported payments and their
allocations. The statements are the same on PostgreSQL and SQLite; only the "last value
given in the file" aggregate differs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy import Connection, Date, bindparam, text

from portal.ledger.staging import DEBTOR_FIELDS, DEBTORS, ERRORS, STAGE
from portal.models import Debtor, Payment
from portal.models.types import UTCDateTime

VALID = f"NOT EXISTS (SELECT 1 FROM {ERRORS} e WHERE e.line = s.line)"
_IMPORT_REF = "'import:' || s.invoice_id"

# What the database-level checks say, per code (same wording as the row-by-row importer had).
MESSAGES = {
    "below_paid": "amount is below what has already been paid on this invoice in Saldo",
    "above_amount": "paid_amount plus payments already made in Saldo is above the invoice amount",
    "moved": "invoice_id {invoice_id!r} already belongs to another customer; "
             "an invoice cannot move between customers",
    "currency": "currency of invoice {invoice_id!r} cannot change after payments",
    "duplicate": "duplicate invoice_id {invoice_id!r} (first seen on line {first_line})",
}


# (the new value, the stored one) in apply_range's select, for the facts an import sets.
_INVOICE_NEW = (("issued_on", "old_issued_on"), ("due_on", "old_due_on"),
                ("amount_minor", "old_amount"), ("currency", "old_currency"),
                ("new_paid", "old_paid"), ("disputed", "old_disputed"),
                ("paperless", "old_paperless"),
                ("COALESCE(settled_on, old_settled)", "old_settled"))


def _distinct(conn: Connection, a: str, b: str) -> str:
    operator = "IS DISTINCT FROM" if conn.dialect.name == "postgresql" else "IS NOT"
    return f"{a} {operator} {b}"


def _changed(conn: Connection, pairs: tuple[tuple[str, str], ...]) -> str:
    """SQL: some (new, old) pair differs (NULL-safe)."""
    return " OR ".join(_distinct(conn, new, old) for new, old in pairs)


def _params(statement: str, **values):
    clause = text(statement)
    types = {"now": UTCDateTime(), "today": Date()}
    binds = [bindparam(k, type_=types[k]) for k in values if k in types]
    return (clause.bindparams(*binds) if binds else clause), values


def check(conn: Connection) -> None:
    """Record in the error table every staged row the ledger's current state refuses."""
    conn.execute(text(
        f"INSERT INTO {ERRORS} (line, code, first_line) "
        f"SELECT s.line, 'duplicate', d.first_line FROM {STAGE} s JOIN ("
        f"  SELECT invoice_id, min(line) AS first_line FROM {STAGE} GROUP BY invoice_id"
        f"  HAVING count(*) > 1) d ON d.invoice_id = s.invoice_id "
        "WHERE s.line > d.first_line"
    ))
    other_paid = "i.paid_minor - COALESCE(p.amount_minor, 0)"
    conn.execute(text(
        f"INSERT INTO {ERRORS} (line, code) SELECT line, code FROM ("
        "  SELECT s.line AS line, CASE"
        f"   WHEN {other_paid} > s.amount_minor THEN 'below_paid'"
        f"   WHEN s.paid_minor + {other_paid} > s.amount_minor THEN 'above_amount'"
        "    WHEN s.paid_minor IS NULL AND i.paid_minor > s.amount_minor THEN 'below_paid'"
        "    WHEN d.external_id <> s.customer_id THEN 'moved'"
        "    WHEN i.currency <> s.currency AND i.paid_minor > 0 THEN 'currency'"
        "   END AS code"
        f"  FROM {STAGE} s JOIN invoice i ON i.external_id = s.invoice_id"
        "   JOIN debtor d ON d.id = i.debtor_id"
        f"   LEFT JOIN payment p ON p.external_ref = {_IMPORT_REF}"
        f"  WHERE {VALID}) c WHERE code IS NOT NULL"
    ))


def errors(conn: Connection, limit: int) -> tuple[int, list[tuple[int, str]]]:
    """(how many rows the checks refused, the first `limit` as (line, message))."""
    total = conn.scalar(text(f"SELECT count(*) FROM {ERRORS}"))
    found = conn.execute(text(
        f"SELECT e.line, e.code, e.first_line, s.invoice_id FROM {ERRORS} e "
        f"JOIN {STAGE} s ON s.line = e.line ORDER BY e.line LIMIT :limit"
    ), {"limit": limit}).all()
    return total, [
        (line, MESSAGES[code].format(invoice_id=invoice_id, first_line=first_line))
        for line, code, first_line, invoice_id in found
    ]


def counts(conn: Connection) -> tuple[int, int]:
    """(invoices to create, invoices to update) among the valid staged rows."""
    total, existing = conn.execute(text(
        f"SELECT count(*), count(i.id) FROM {STAGE} s "
        f"LEFT JOIN invoice i ON i.external_id = s.invoice_id WHERE {VALID}"
    )).one()
    return total - existing, existing


def build_debtors(conn: Connection, given: set[str]) -> int:
    """One staged row per customer with the facts the file gives; returns how many.

    A fact comes from the customer's last row that gives it (`given`: the facts any row
    gave). Taken from the last row first, then filled, fact by fact, where that row left
    it out: one pass over the file instead of one aggregate per fact.
    """
    fields = [col for col, _ in DEBTOR_FIELDS]
    if conn.dialect.name == "postgresql":  # hashing the last line per customer, not sorting
        conn.execute(text(
            f"CREATE TEMPORARY TABLE {DEBTORS} AS SELECT "
            f"s.customer_id AS customer_id, {', '.join(f's.{f} AS {f}' for f in fields)} "
            f"FROM {STAGE} s JOIN (SELECT max(s.line) AS line FROM {STAGE} s WHERE {VALID} "
            "GROUP BY s.customer_id) m ON m.line = s.line"))
    else:  # SQLite takes bare columns from the row that holds max(line)
        conn.execute(text(
            f"CREATE TEMPORARY TABLE {DEBTORS} AS SELECT s.customer_id AS customer_id, "
            f"max(s.line) AS line, {', '.join(f's.{f} AS {f}' for f in fields)} "
            f"FROM {STAGE} s WHERE {VALID} GROUP BY s.customer_id"))
    groups = [[f] for f in fields if f not in ("identity_kind", "identity_hash")]
    groups.append(["identity_kind", "identity_hash"])  # kind and hash come from one row
    for group in groups:
        if given.intersection(group):
            _fill(conn, group)
    return conn.scalar(text(f"SELECT count(*) FROM {DEBTORS}"))


def _fill(conn: Connection, group: list[str]) -> None:
    """Where the last row left `group` out, take it from the latest row that gives it."""
    key = group[-1]
    if conn.dialect.name == "postgresql":
        sets = ", ".join(f"{f} = x.{f}" for f in group)
        conn.execute(text(
            f"UPDATE {DEBTORS} sd SET {sets} FROM (SELECT s.customer_id, "
            f"{', '.join(f's.{f}' for f in group)} FROM {STAGE} s JOIN ("
            f"SELECT max(s.line) AS line FROM {STAGE} s WHERE s.{key} IS NOT NULL AND {VALID} "
            f"AND s.customer_id IN (SELECT customer_id FROM {DEBTORS} WHERE {key} IS NULL) "
            "GROUP BY s.customer_id) m ON m.line = s.line) x "
            f"WHERE sd.customer_id = x.customer_id AND sd.{key} IS NULL"))
        return
    sets = ", ".join(
        f"{f} = (SELECT s.{f} FROM {STAGE} s WHERE s.customer_id = {DEBTORS}.customer_id "
        f"AND s.{key} IS NOT NULL AND {VALID} ORDER BY s.line DESC LIMIT 1)" for f in group)
    conn.execute(text(f"UPDATE {DEBTORS} SET {sets} WHERE {key} IS NULL"))


def _defaults(table, given: set[str]) -> dict:
    """Python-side scalar defaults of the columns a bulk INSERT does not name."""
    return {
        col.name: col.default.arg
        for col in table.columns
        if col.name not in given and not col.primary_key
        and col.default is not None and col.default.is_scalar
    }


def apply_debtors(conn: Connection, first: int, last: int, run_id: int, now: datetime) -> None:
    """Upsert the staged customers with rowid in [first, last] (SQLite) or all (PostgreSQL)."""
    where = "" if conn.dialect.name == "postgresql" else "AND sd.rowid BETWEEN :first AND :last"
    sets = ", ".join(f"{col} = COALESCE(sd.{stage}, debtor.{col})" for stage, col in DEBTOR_FIELDS)
    # Only debtors the file changes: a fact it gives that differs from the stored one.
    changed = " OR ".join(
        f"(sd.{stage} IS NOT NULL AND {_distinct(conn, f'sd.{stage}', f'debtor.{col}')})"
        for stage, col in DEBTOR_FIELDS)
    conn.execute(*_params(
        f"UPDATE debtor SET {sets}, import_run_id = :run, updated_at = :now "
        f"FROM {DEBTORS} sd WHERE debtor.external_id = sd.customer_id {where} AND ({changed})",
        run=run_id, now=now, first=first, last=last,
    ))
    defaults = _defaults(Debtor.__table__, {"external_id", "name", "import_run_id",
                                            "created_at", "updated_at"})
    names = ["external_id", "import_run_id", "created_at", "updated_at"]
    values = ["sd.customer_id", ":run", ":now", ":now"]
    for stage, col in DEBTOR_FIELDS:
        names.append(col)
        fallback = "sd.customer_id" if col == "name" else (
            f":d_{col}" if col in defaults else None)
        values.append(f"COALESCE(sd.{stage}, {fallback})" if fallback else f"sd.{stage}")
    fields = {col for _, col in DEBTOR_FIELDS}
    names += [col for col in defaults if col not in fields]
    values += [f":d_{col}" for col in defaults if col not in fields]
    conn.execute(*_params(
        f"INSERT INTO debtor ({', '.join(names)}) SELECT {', '.join(values)} FROM {DEBTORS} sd "
        "WHERE NOT EXISTS (SELECT 1 FROM debtor x WHERE x.external_id = sd.customer_id) "
        f"{where} ON CONFLICT (external_id) DO NOTHING",
        run=run_id, now=now, first=first, last=last,
        **{f"d_{col}": value for col, value in defaults.items()},
    ))


def apply_range(conn: Connection, first: int, last: int, run_id: int, now: datetime,
                today: date, lap: Callable[[str], None] = lambda phase: None, *,
                empty: bool = False) -> None:
    """Upsert the valid staged invoices with line in [first, last], then their payments.

    `empty`: the invoice and payment tables are empty and this transaction holds them
    exclusively (`portal.ledger.bulkindex`), so no row can conflict (duplicates within the
    file are refused by `check`) and plain inserts skip the per-row conflict arbitration.
    """
    def upsert(clause: str) -> str:
        return "" if empty else clause

    lines = "s.line BETWEEN :first AND :last"
    status = ("CASE WHEN settled_on IS NOT NULL THEN 'paid'"
              " WHEN old_status IS NULL THEN CASE WHEN new_paid >= amount_minor THEN 'paid'"
              "  ELSE 'open' END"
              " WHEN old_status = 'paid' AND old_settled IS NULL THEN 'open'"
              " WHEN old_status = 'open' AND new_paid >= amount_minor THEN 'paid'"
              " ELSE old_status END")
    new_paid = ("CASE WHEN s.paid_minor > 0 AND s.paid_minor <> COALESCE(p.amount_minor, 0) "
                "THEN COALESCE(i.paid_minor, 0) - COALESCE(p.amount_minor, 0) + s.paid_minor "
                "ELSE COALESCE(i.paid_minor, 0) END")
    if not empty and conn.dialect.name == "postgresql":
        # A portal payment settling one of these open invoices while the upsert below runs
        # would be overwritten with the paid amount the upsert read at its start. Locking
        # them first makes such a payment wait for this import and then add to its result.
        conn.execute(*_params(
            f"SELECT i.id FROM {STAGE} s JOIN invoice i ON i.external_id = s.invoice_id "
            f"WHERE {lines} AND {VALID} AND i.status = 'open' ORDER BY i.id FOR UPDATE OF i",
            first=first, last=last))
        lap("lock open invoices")
    conn.execute(*_params(
        "INSERT INTO invoice (external_id, debtor_id, issued_on, due_on, amount_minor, currency,"
        " status, paid_minor, settled_on, disputed, paperless, import_run_id, created_at,"
        " updated_at) "
        f"SELECT invoice_id, debtor_id, issued_on, due_on, amount_minor, currency, {status},"
        " new_paid, COALESCE(settled_on, old_settled), disputed, paperless, :run, :now, :now "
        "FROM (SELECT s.invoice_id AS invoice_id, d.id AS debtor_id, s.issued_on AS issued_on,"
        "  s.due_on AS due_on, s.amount_minor AS amount_minor, s.currency AS currency,"
        "  s.settled_on AS settled_on, s.disputed AS disputed,"
        "  COALESCE(s.paperless, i.paperless, false) AS paperless, i.status AS old_status,"
        f"  i.settled_on AS old_settled, {new_paid} AS new_paid, i.id AS old_id,"
        "  i.issued_on AS old_issued_on, i.due_on AS old_due_on, i.amount_minor AS old_amount,"
        "  i.currency AS old_currency, i.paid_minor AS old_paid, i.disputed AS old_disputed,"
        "  i.paperless AS old_paperless"
        f" FROM {STAGE} s JOIN debtor d ON d.external_id = s.customer_id"
        "  LEFT JOIN invoice i ON i.external_id = s.invoice_id"
        f"  LEFT JOIN payment p ON i.id IS NOT NULL AND p.external_ref = {_IMPORT_REF}"
        f" WHERE {lines} AND {VALID}) c "
        # An invoice the file leaves as it is keeps its row (its last import and update
        # time too): a daily full export then rewrites only what changed.
        f"WHERE c.old_id IS NULL OR {_changed(conn, (*_INVOICE_NEW, (status, 'old_status')))} "
        + upsert(
            "ON CONFLICT (external_id) DO UPDATE SET issued_on = excluded.issued_on,"
            " due_on = excluded.due_on, amount_minor = excluded.amount_minor,"
            " currency = excluded.currency, status = excluded.status,"
            " paid_minor = excluded.paid_minor, settled_on = excluded.settled_on,"
            " disputed = excluded.disputed, paperless = excluded.paperless,"
            " import_run_id = excluded.import_run_id, updated_at = excluded.updated_at"),
        run=run_id, now=now, first=first, last=last,
    ))
    lap("apply invoices")
    given = {"debtor_id", "amount_minor", "currency", "method", "status", "refunded_minor",
             "external_ref", "received_on", "created_at", "updated_at"}
    defaults = _defaults(Payment.__table__, given)
    extra_names = "".join(f", {name}" for name in defaults)
    extra_values = "".join(f", :d_{name}" for name in defaults)
    conn.execute(*_params(
        "INSERT INTO payment (debtor_id, amount_minor, currency, method, status, refunded_minor,"
        f" external_ref, received_on, created_at, updated_at{extra_names}) "
        "SELECT d.id, s.paid_minor, s.currency, 'imported', 'succeeded', 0,"
        f" {_IMPORT_REF}, COALESCE(s.settled_on, :today), :now, :now{extra_values} "
        f"FROM {STAGE} s JOIN debtor d ON d.external_id = s.customer_id"
        f" LEFT JOIN payment p ON p.external_ref = {_IMPORT_REF} "
        f"WHERE {lines} AND {VALID} AND s.paid_minor > 0"
        " AND (p.id IS NULL OR p.amount_minor <> s.paid_minor) "
        + upsert("ON CONFLICT (external_ref) DO UPDATE SET amount_minor = excluded.amount_minor,"
                 " received_on = excluded.received_on, updated_at = excluded.updated_at"),
        now=now, today=today, first=first, last=last,
        **{f"d_{k}": v for k, v in defaults.items()},
    ))
    lap("apply payments")
    conn.execute(*_params(
        "INSERT INTO payment_allocation (payment_id, invoice_id, amount_minor, created_at) "
        "SELECT p.id, i.id, s.paid_minor, :now "
        f"FROM {STAGE} s JOIN invoice i ON i.external_id = s.invoice_id"
        f" JOIN payment p ON p.external_ref = {_IMPORT_REF}"
        " LEFT JOIN payment_allocation a ON a.payment_id = p.id AND a.invoice_id = i.id "
        f"WHERE {lines} AND {VALID} AND s.paid_minor > 0"
        " AND (a.id IS NULL OR a.amount_minor <> s.paid_minor) "
        + upsert("ON CONFLICT (payment_id, invoice_id) DO UPDATE"
                 " SET amount_minor = excluded.amount_minor"
                 " WHERE payment_allocation.amount_minor <> excluded.amount_minor"),
        now=now, first=first, last=last,
    ))
    lap("apply allocations")


def paid_with_open_promises(conn: Connection) -> list[int]:
    """Invoices of this import that are now paid and still have an open promise to pay."""
    return list(conn.scalars(text(
        f"SELECT DISTINCT i.id FROM {STAGE} s JOIN invoice i ON i.external_id = s.invoice_id "
        "JOIN promise_to_pay p ON p.invoice_id = i.id "
        f"WHERE i.status = 'paid' AND p.status = 'open' AND {VALID}"
    )))
