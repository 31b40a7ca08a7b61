"""PostgreSQL's quick path for ledger files: `COPY` the file's bytes, validate in SQL.

The client does not parse rows: it streams the (gunzipped) bytes into a temporary table of
text columns with one `COPY … (FORMAT csv)`, as a raw `COPY` would, counting newlines and
watching line lengths on the way. When every record turns out to be one physical line (the
count of rows equals the count of lines), record n is line n + 1 of the file. One
`INSERT … SELECT` then converts and stages, in one set, the rows that obviously pass
`rows.parse_row` (the same strict subset as `fastrow.fast_row`, written in SQL: ASCII
printable text, ISO dates that exist, exact amounts in the currency's minor unit from our own
`payments.currencies` table, …). Every other record (a doubtful value, a column only Python
checks such as a phone, locale or identity fact) is read back in line order and goes through
`parse_row` as before, so an invalid row gets exactly the message the Python path gives.

Anything irregular makes `fill` return False having staged nothing (the savepoint is rolled
back): a record over several lines (a quoted newline), blank lines, rows with a different
field count, bad UTF-8, a line over `MAX_LINE_CHARS` bytes, an odd header. The caller then
reads the input again with the Python path, which reports exactly what is wrong. Standard
input is spooled to a temporary file first so it can be read twice.
"""

from __future__ import annotations

import csv
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date

from sqlalchemy import Connection, Date, bindparam, text

from payments.currencies import MINOR_UNITS
from portal.ledger.rows import MAX_AMOUNT_MINOR, MAX_LENGTH, OPTIONAL_COLUMNS, REQUIRED_COLUMNS
from portal.ledger.source import MAX_LINE_CHARS, open_binary
from portal.ledger.staging import STAGE

RAW = "ledger_raw"
CURRENCIES = "ledger_currency"
DAYS_TABLE = "ledger_day"
# A line longer than this goes to Python, which refuses it (MAX_LINE_CHARS) or a field over
# the csv module's own limit (128 KiB) with its messages.
LINE_LIMIT = min(MAX_LINE_CHARS, csv.field_size_limit())
BLOCK = 1 << 17  # bytes per read and per COPY write; at most LINE_LIMIT
MAX_COLUMNS = 1000  # a table has at most 1,600
SLOW_BATCH = 5000  # records fetched at a time for the Python path
_BOM = b"\xef\xbb\xbf"
# The columns the SQL checks understand; a row giving any other ledger column goes to Python.
SQL_COLUMNS = ("customer_id", "invoice_id", "issue_date", "due_date", "amount", "currency",
               "paid_date", "paid_amount", "customer_name", "email", "disputed", "paperless")
PYTHON_COLUMNS = tuple(c for c in REQUIRED_COLUMNS + OPTIONAL_COLUMNS if c not in SQL_COLUMNS)
_TRUE = ("true", "1", "yes", "y", "t")  # rows._TRUE / rows._FALSE
_FALSE = ("false", "0", "no", "n", "f", "")


class _Irregular(Exception):
    """The input is not for the quick path; the Python path reads it again."""


@contextmanager
def rereadable(path: str) -> Iterator:
    """`path`, or for standard input a temporary file holding it: the input can be read
    twice."""
    if path != "-":
        yield path
        return
    with tempfile.TemporaryFile() as spool, open_binary("-") as binary:
        shutil.copyfileobj(binary, spool, BLOCK)
        spool.seek(0)
        yield spool


def fill(conn: Connection, source, on_progress: Callable[[int], None] | None,
         default_currency: str, today: date,
         python_rows: Callable[[Iterator[list[tuple[int, dict]]]], None],
         lap: Callable[[str], None] = lambda phase: None) -> tuple[int, set[str]] | None:
    """Stage the file at `source` (a path or a seekable binary file). Returns how many data
    records it has and which of the customer facts SQL stages any row gives, or None when
    the Python path must read the file (nothing staged). `python_rows(batches)` validates
    and stages the records SQL did not accept, given as batches of (line, record) in line
    order."""
    try:
        with conn.begin_nested():
            header, total = _copy_raw(conn, source, on_progress)
    except _Irregular:
        return None
    except Exception as exc:  # psycopg refused the data (a field count, the encoding …)
        if not _is_data_error(exc):
            raise
        return None
    lap("copy raw")
    _lookups(conn)
    fast = conn.execute(_fast_insert(header), {"default": default_currency,
                                               "today": today}).rowcount
    given = conn.execute(text(
        "SELECT bool_or(customer_name IS NOT NULL), bool_or(email IS NOT NULL),"  # noqa: S608
        f" bool_or(paperless IS NOT NULL) FROM {STAGE}")).one()
    lap("validate in SQL")
    if fast < total:
        python_rows(_slow_batches(conn, header))
        lap("validate in Python")
    conn.execute(text(f"DROP TABLE {RAW}, {CURRENCIES}, {DAYS_TABLE}"))
    return total, {name for name, yes in zip(("customer_name", "email", "paperless"), given,
                                             strict=True) if yes}


def _is_data_error(exc: Exception) -> bool:
    import psycopg

    cause = getattr(exc, "orig", exc)
    return isinstance(cause, psycopg.errors.DataError | psycopg.errors.BadCopyFileFormat
                      | psycopg.errors.CharacterNotInRepertoire
                      | psycopg.errors.UntranslatableCharacter)


def _copy_raw(conn: Connection, source, on_progress) -> tuple[list[str], int]:
    """COPY the data lines into RAW; (the header's column names, how many records).
    Raises _Irregular."""
    with open_binary(source, on_progress) as binary:
        first = _read(binary)
        while b"\n" not in first and len(first) <= LINE_LIMIT:
            more = _read(binary)
            if not more:
                break
            first += more
        if first.startswith(_BOM):
            first = first[len(_BOM):]
        end = first.find(b"\n")
        if end < 0 or end >= LINE_LIMIT:
            raise _Irregular
        header = _header(first[:end + 1])
        cols = ", ".join(f"c{i} text" for i in range(len(header)))
        conn.execute(text(f"DROP TABLE IF EXISTS {RAW}"))
        conn.execute(text(f"CREATE TEMPORARY TABLE {RAW} (n integer GENERATED ALWAYS AS "
                          f"IDENTITY, {cols})"))
        names = ", ".join(f"c{i}" for i in range(len(header)))
        cursor = conn.connection.driver_connection.cursor()
        lines = since = 0
        last = b"\n"
        with cursor:
            with cursor.copy(f"COPY {RAW} ({names}) FROM STDIN "
                             "WITH (FORMAT csv, ENCODING 'UTF8')") as copy:
                block = first[end + 1:] or _read(binary)
                while block:
                    lines += block.count(b"\n")
                    since = _line_lengths(block, since)
                    if b'"' in block and _STRAY_QUOTE.search(last + block):
                        raise _Irregular
                    last = block[-1:]
                    copy.write(block)
                    block = _read(binary)
            copied = cursor.rowcount
        if copied != lines + (last != b"\n"):  # a record over several lines, a blank line
            raise _Irregular
    return header, copied


def _read(binary) -> bytes:
    try:
        return binary.read(BLOCK)
    except (OSError, EOFError) as exc:  # a truncated or corrupt gzip stream
        raise _Irregular from exc


def _header(line: bytes) -> list[str]:
    if b'"' in line:
        raise _Irregular
    try:
        fields = next(csv.reader([line.decode("utf-8")]))
    except (UnicodeDecodeError, csv.Error, StopIteration) as exc:
        raise _Irregular from exc
    header = [h.strip() for h in fields]
    if any(c not in header for c in REQUIRED_COLUMNS) or len(header) > MAX_COLUMNS:
        raise _Irregular  # the Python path says which are missing, or reads them all
    return header


# A quote inside an unquoted field, or text right after a closing quote: Python's csv takes
# the first literally, PostgreSQL starts a quoted part there; Python reads such a file.
_STRAY_QUOTE = re.compile(rb'[^,\n"]"[^,\r\n"]')


def _line_lengths(block: bytes, since: int) -> int:
    """Bytes since the last newline after `block`; raises _Irregular past LINE_LIMIT.
    A line within one block is never longer than the block."""
    first = block.find(b"\n")
    if first < 0:
        since += len(block)
        if since > LINE_LIMIT:
            raise _Irregular
        return since
    if since + first + 1 > LINE_LIMIT or len(block) > LINE_LIMIT:
        raise _Irregular
    return len(block) - block.rfind(b"\n") - 1


def _column(header: list[str], name: str) -> str:
    """The raw column holding `name` (the last of that name, as a dict of the row keeps)."""
    positions = [i for i, h in enumerate(header) if h == name]
    return f"r.c{positions[-1]}" if positions else "NULL::text"


# PostgreSQL regular expressions cost about a microsecond a call, more with bounded
# repetitions or alternatives: only a few simple ones per row. Dates are looked up instead,
# in a table of every day in DAYS (a day outside it goes to Python).
_AMOUNT = r"^[0-9]+(\.[0-9]+)?$"  # rows._AMOUNT over ASCII digits
_EMAIL = r"^[!-?A-~]+@[!-?A-~]+\.[!-?A-~]+$"  # rows._EMAIL over printable ASCII
_PRINTABLE = "^[ -~]*$"
DAYS = ("1950-01-01", "2099-12-31")
_CHECKED = ("issue_date", "due_date", "paid_date", "amount", "paid_amount", "email")


def _lookups(conn: Connection) -> None:
    """The temporary tables the checks join: currencies (our own table, with 10^exponent)
    and the days of DAYS by their ISO text."""
    conn.execute(text(f"DROP TABLE IF EXISTS {CURRENCIES}, {DAYS_TABLE}"))
    conn.execute(text(f"CREATE TEMPORARY TABLE {CURRENCIES} (code text PRIMARY KEY, "
                      "scale numeric NOT NULL)"))
    conn.execute(text(f"INSERT INTO {CURRENCIES} VALUES (:code, :scale)"),  # noqa: S608
                 [{"code": code, "scale": 10**places} for code, places in MINOR_UNITS.items()])
    conn.execute(text(
        f"CREATE TEMPORARY TABLE {DAYS_TABLE} AS SELECT to_char(d, 'YYYY-MM-DD') AS iso,"  # noqa: S608
        f" d::date AS day FROM generate_series('{DAYS[0]}'::date, '{DAYS[1]}'::date,"
        " '1 day') d"))
    conn.execute(text(f"ANALYZE {CURRENCIES}, {DAYS_TABLE}"))


def _fast_insert(header: list[str]):
    """INSERT … SELECT staging the records that surely pass `parse_row`, as it would."""
    col = {name: _column(header, name) for name in SQL_COLUMNS}
    trimmed = {name: f"NULLIF(btrim({col[name]}, ' '), '')" for name in SQL_COLUMNS}
    # The other columns need only be printable ASCII: then Python's strip() and
    # isprintable() agree with btrim(…, ' ').
    free = [col[n] for n in SQL_COLUMNS if n not in _CHECKED and col[n] != "NULL::text"]
    others = [f"COALESCE({_column(header, n)}, '') = ''" for n in PYTHON_COLUMNS
              if n in header]
    flags = ", ".join(f"'{v}'" for v in _TRUE + _FALSE)
    truthy = ", ".join(f"'{v}'" for v in _TRUE)
    lengths = " AND ".join(f"COALESCE(length(v.{name}), 0) <= {MAX_LENGTH[name]}"
                           for name in ("customer_id", "invoice_id", "customer_name", "email"))
    inner = ", ".join([
        "r.n + 1 AS line",
        *(f"{trimmed[n]} AS {n}" for n in ("customer_id", "invoice_id", "customer_name",
                                           "paid_date", "amount", "paid_amount", "email")),
        "c.code AS currency", "c.scale", "d1.day AS issued_on", "d2.day AS due_on",
        "d3.day AS settled_on",
        f"lower(btrim({col['disputed']}, ' ')) AS disputed",
        f"lower(btrim({col['paperless']}, ' ')) AS paperless",
        f"concat({', '.join(free) or repr('')}) AS free",
        (" AND ".join(others) if others else "true") + " AS plain",
    ])
    joins = (
        f" LEFT JOIN {CURRENCIES} c ON c.code = upper(COALESCE({trimmed['currency']}, :default))"
        + "".join(f" LEFT JOIN {DAYS_TABLE} {alias} ON {alias}.iso = {trimmed[name]}"
                  for alias, name in (("d1", "issue_date"), ("d2", "due_date"),
                                      ("d3", "paid_date"))))
    # Only rows whose text passed reach the casts below: a subquery with OFFSET 0 is planned
    # on its own, its filter applied before the outer select list is computed.
    checked = (
        f"SELECT x.* FROM (SELECT {inner} FROM {RAW} r{joins} OFFSET 0) x "  # noqa: S608
        "WHERE x.plain AND x.currency IS NOT NULL AND x.issued_on IS NOT NULL"
        " AND x.due_on IS NOT NULL AND (x.paid_date IS NULL OR x.settled_on IS NOT NULL)"
        " AND x.free ~ :printable AND x.amount ~ :amount"
        " AND (x.paid_amount IS NULL OR x.paid_amount ~ :amount)"
        " AND (x.email IS NULL OR x.email ~ :email) OFFSET 0")
    converted = ", ".join([
        "y.line", "y.customer_id", "y.invoice_id", "y.customer_name",
        "lower(y.email) AS email", "y.currency", "y.issued_on", "y.due_on", "y.settled_on",
        "y.amount::numeric * y.scale AS amount_scaled",
        "y.paid_amount::numeric * y.scale AS paid_scaled",
        f"(y.disputed IS NULL OR y.disputed IN ({flags}))"
        f" AND (y.paperless IS NULL OR y.paperless IN ({flags})) AS flags_ok",
        f"COALESCE(y.disputed IN ({truthy}), false) AS disputed",
        "CASE WHEN y.paperless IS NULL OR y.paperless = '' THEN NULL "
        f"ELSE y.paperless IN ({truthy}) END AS paperless",
    ])
    exact = "{0} = trunc({0}) AND {0} < " + str(MAX_AMOUNT_MINOR)
    paid = ("COALESCE(v.paid_scaled, CASE WHEN v.settled_on IS NOT NULL "
            "THEN v.amount_scaled END)::bigint")
    return text(
        f"INSERT INTO {STAGE} (line, customer_id, invoice_id, issued_on, due_on, amount_minor,"  # noqa: S608 - generated from constants and the header's positions
        " currency, settled_on, paid_minor, disputed, paperless, customer_name, email) "
        "SELECT v.line, v.customer_id, v.invoice_id, v.issued_on, v.due_on,"
        f" v.amount_scaled::bigint, v.currency, v.settled_on, NULLIF({paid}, 0), v.disputed,"
        " v.paperless, v.customer_name, v.email "
        f"FROM (SELECT {converted} FROM ({checked}) y OFFSET 0) v "
        "WHERE v.flags_ok AND v.customer_id IS NOT NULL AND v.invoice_id IS NOT NULL"
        f" AND {lengths} AND v.due_on >= v.issued_on"
        f" AND {exact.format('v.amount_scaled')} AND v.amount_scaled > 0"
        f" AND (v.paid_scaled IS NULL OR {exact.format('v.paid_scaled')}"
        "      AND v.paid_scaled <= v.amount_scaled)"
        " AND (v.settled_on IS NULL OR v.settled_on >= v.issued_on AND v.settled_on <= :today)"
        " AND (v.settled_on IS NOT NULL OR v.paid_scaled IS NULL"
        "      OR v.paid_scaled <> v.amount_scaled)"
    ).bindparams(bindparam("today", type_=Date()), printable=_PRINTABLE, amount=_AMOUNT,
                 email=_EMAIL)


def _slow_batches(conn: Connection, header: list[str]) -> Iterator[list[tuple[int, dict]]]:
    """The records SQL did not stage, as (line, {column: text}) in line order, in batches.
    Read through a server-side cursor, so only one batch is held."""
    names = ", ".join(f"r.c{i}" for i in range(len(header)))
    cursor = conn.connection.driver_connection.cursor(name="ledger_slow")
    try:
        cursor.execute(
            f"SELECT r.n + 1, {names} FROM {RAW} r WHERE NOT EXISTS "  # noqa: S608
            f"(SELECT 1 FROM {STAGE} s WHERE s.line = r.n + 1) ORDER BY r.n")
        while rows := cursor.fetchmany(SLOW_BATCH):
            # As csv.reader gives them: text, '' for an empty field (COPY says NULL).
            yield [(row[0], dict(zip(header, (v or "" for v in row[1:]), strict=True)))
                   for row in rows]
    finally:
        cursor.close()
