"""Import ledger rows: stream, validate, stage, check and upsert in sets. Atomic and idempotent.

One pass reads the CSV (a file, gzip or stdin; `portal.ledger.source`), validates each row
with `portal.ledger.rows` and writes the valid ones to a staging table (`COPY` on
PostgreSQL). The database then finds what needs its state (duplicates, invoices moving
between customers, payments made in Saldo) and the rows are upserted in sets by
`portal.ledger.apply`. Memory is flat in the row count: only one chunk of rows and the first
`MAX_REPORTED_ERRORS` errors are held.

Atomic: any invalid row means nothing is written, unless `skip_invalid`. On PostgreSQL the
whole import is one transaction. On SQLite staging writes only a temporary table and the
valid rows are then applied in short transactions of `APPLY_CHUNK` lines, so the portal's own
writes never wait long; all checks are done before the first of them.

`import_rows` is the same operation for rows that arrive as dicts (the REST API's bulk
endpoint); `import_ledger` reads a file.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import Connection, insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from portal.extensions import db
from portal.ledger import apply, rawcopy
from portal.ledger.fastrow import fast_row
from portal.ledger.rows import LedgerRow, RowError, parse_row
from portal.ledger.source import FileError, open_ledger, records
from portal.ledger.staging import DEBTORS, STAGE, Stage, staged
from portal.models import Debtor, ImportRun
from portal.operations.promises import keep_promises

BATCH_SIZE = 5000  # rows validated and staged at a time
STORED_ERRORS = 100  # kept on the ImportRun for the staff console
APPLY_CHUNK = 2000  # lines per short write transaction on SQLite
MAX_REPORTED_ERRORS = 1000
# PostgreSQL: COPY the file's bytes and validate the plain rows in SQL (portal.ledger.rawcopy).
SQL_VALIDATION = True
# LedgerRow attributes behind the staged customer facts (identity: kind and hash).
FACTS = ("customer_name", "email", "phone", "locale", "timezone", "country", "paperless",
         "identity", "consent_email", "consent_sms", "consent_whatsapp")


@dataclass
class ImportReport:
    rows: int = 0
    customers: int = 0
    invoices_created: int = 0
    invoices_updated: int = 0
    errors: list[dict] = field(default_factory=list)
    error_count: int = 0
    written: bool = False
    run_id: int | None = None
    # Seconds per phase (parse/stage, check, apply, ...), for `saldo import ledger --timings`.
    timings: dict[str, float] = field(default_factory=dict)
    _clock: float = field(default_factory=time.perf_counter, repr=False)

    def lap(self, phase: str) -> None:
        """Add the time since the previous lap to `phase`."""
        now = time.perf_counter()
        self.timings[phase] = self.timings.get(phase, 0.0) + now - self._clock
        self._clock = now

    def add_error(self, line: int, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append({"line": line, "error": message})

    def as_dict(self) -> dict:
        return {
            "rows": self.rows,
            "customers": self.customers,
            "invoices_created": self.invoices_created,
            "invoices_updated": self.invoices_updated,
            "errors": self.errors,
        }


def import_ledger(
    path: str,
    *,
    dry_run: bool = False,
    skip_invalid: bool = False,
    default_currency: str = "USD",
    today: date | None = None,
    on_progress: Callable[[int], None] | None = None,
    origin: str = "cli",
    content_sha256: str | None = None,
) -> ImportReport:
    """Import the ledger CSV at `path` ('-': standard input; gzip is recognised).

    Returns the report; it wrote only if `report.written`. `dry_run` validates and counts,
    then writes nothing. `on_progress(n_bytes)` is called as the file is read. With
    `content_sha256`, a second import of the same content raises AlreadyImported.
    """
    def fill(stage: Stage, report: ImportReport, given: set[str], today: date) -> None:
        with rawcopy.rereadable(path) if stage.postgres else nullcontext(path) as source:
            progress = on_progress
            if stage.postgres and SQL_VALIDATION:
                def python_rows(batches):
                    _stream_batches(batches, stage, report, default_currency, today, given)

                done = rawcopy.fill(stage.conn, source, on_progress, default_currency, today,
                                    python_rows, report.lap)
                if done is not None:
                    report.rows, sql_given = done
                    given.update(sql_given)
                    return
                progress = None  # read again: the bar already went through the file
                if not isinstance(source, str):
                    source.seek(0)
            with open_ledger(source, progress) as text:
                _stream(records(text), stage, report, default_currency, today, given)

    return _import(fill, source="stdin" if path == "-" else str(path),
                   origin=origin, dry_run=dry_run, skip_invalid=skip_invalid,
                   default_currency=default_currency, today=today,
                   content_sha256=content_sha256)


def import_rows(
    rows: Iterable[dict],
    *,
    source: str = "api",
    dry_run: bool = False,
    skip_invalid: bool = False,
    default_currency: str | None = None,
    today: date | None = None,
    connection: Connection | None = None,
) -> ImportReport:
    """Import rows given as dicts with the ledger CSV's column names (values: text, numbers,
    booleans or None). Errors name the row's position from 1 as its `line`.

    Without `connection` the import runs on its own connection and commits. With one (for
    example `db.session.connection()`), it runs inside that connection's transaction and
    commits nothing: the caller's commit makes it final, and its rollback undoes it.
    """
    numbered = ((n, {k: _as_text(v) for k, v in row.items()}) for n, row in
                enumerate(rows, start=1))

    def fill(stage: Stage, report: ImportReport, given: set[str], today: date) -> None:
        _stream(numbered, stage, report, report_currency, today, given)

    report_currency = default_currency or current_app.config["DEFAULT_CURRENCY"]
    return _import(fill, source=source, origin="api", dry_run=dry_run,
                   skip_invalid=skip_invalid, default_currency=report_currency,
                   today=today, connection=connection)


def _as_text(value) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# Fills the staging table: (stage, report, given facts, today); raises FileError.
Filler = Callable[[Stage, "ImportReport", set[str], date], None]


def _import(fill: Filler, *, source: str, origin: str, dry_run: bool,
            skip_invalid: bool, default_currency: str, today: date | None,
            connection: Connection | None = None,
            content_sha256: str | None = None) -> ImportReport:
    today = today or datetime.now(UTC).date()
    report = ImportReport()
    conn = connection if connection is not None else db.engine.connect()
    own = connection is None
    stage = Stage(conn)
    try:
        if not dry_run:
            report.run_id = _start_run(conn, source, origin, content_sha256, commit=own)
        if own:
            _tune(conn)
        stage.create()
        report.lap("start")
        parse_errors: list[dict] = []
        fatal = False
        given: set[str] = set()
        try:
            fill(stage, report, given, today)
        except FileError as exc:
            report.add_error(exc.line, str(exc))
            fatal = True
        report.lap("parse+stage" if "copy raw" not in report.timings else "stage")
        if not fatal:
            stage.finish()
            report.lap("analyze")
            apply.check(conn)
            report.lap("check")
            parse_errors, report.errors = report.errors, []
            total, found = apply.errors(conn, MAX_REPORTED_ERRORS)
            db_errors = [{"line": line, "error": message} for line, message in found]
            report.errors = list(itertools.islice(
                heapq.merge(parse_errors, db_errors, key=lambda e: e["line"]),
                MAX_REPORTED_ERRORS))
            report.error_count += total
            report.invoices_created, report.invoices_updated = apply.counts(conn)
            report.lap("errors+counts")
            report.customers = apply.build_debtors(conn, given)
            report.lap("build_debtors")
        if dry_run or fatal or (report.error_count and not skip_invalid):
            if own:
                conn.rollback()
            if not dry_run:
                _finish_run(conn, report, "rejected", commit=own)
            return report
        try:
            _apply(conn, report.run_id, today, own, report.lap)
        except Exception:
            if own:  # the run says so; on SQLite the chunks applied so far stay
                conn.rollback()
                _finish_run(conn, report, "failed", commit=True)
            raise
        paid = apply.paid_with_open_promises(conn)
        report.lap("promises")
        _finish_run(conn, report, "done", commit=own)
        report.lap("commit")
        report.written = True
        if paid:  # in the caller's transaction, or committed here after the import's own
            keep_promises(paid)
            if own:
                db.session.commit()
        return report
    finally:
        if own:
            conn.rollback()
        stage.drop()
        if own:
            conn.commit()
            conn.invalidate()  # a fresh session next time: the settings below are per session
            conn.close()


def _tune(conn: Connection) -> None:
    """Session settings for a bulk import. SQLite: a bounded page cache for the main and
    temporary databases, and `synchronous=NORMAL` (safe in WAL mode; a power cut may lose
    the last chunks, which re-importing the file restores). PostgreSQL: the staging table
    (temporary, so in the session's own buffers) and the hash joins over it stay in memory."""
    if conn.dialect.name == "sqlite":
        for pragma in ("cache_size = -32768", "temp.cache_size = -32768",
                       "synchronous = NORMAL"):
            conn.exec_driver_sql(f"PRAGMA {pragma}")
        return
    try:
        with conn.begin_nested():  # refused once this session has used a temporary table
            conn.execute(text("SET temp_buffers = '256MB'"))
    except DBAPIError:
        pass
    conn.execute(text("SET LOCAL work_mem = '256MB'"))


def _stream(records_: Iterator[tuple[int, dict]], stage: Stage, report: ImportReport,
            default_currency: str, today: date, given: set[str]) -> None:
    # While a COPY is open its connection serves nothing else: identity lookups then read
    # committed debtors through a second, short-lived connection.
    lookup = _Lookup(None if stage.postgres else stage.conn)
    try:
        with stage.writer() as write:
            for batch in _parse(records_, report, default_currency, today):
                _write(write, lookup, batch, given)
    finally:
        lookup.close()


def _stream_batches(batches: Iterator[list[tuple[int, dict]]], stage: Stage,
                    report: ImportReport, default_currency: str, today: date,
                    given: set[str]) -> None:
    """`_stream` for records read in batches from this same connection: one COPY per batch,
    opened once the batch is read."""
    lookup = _Lookup(None if stage.postgres else stage.conn)
    try:
        for records_ in batches:
            for batch in _parse(records_, report, default_currency, today):
                if batch:
                    with stage.writer() as write:
                        _write(write, lookup, batch, given)
    finally:
        lookup.close()


def _parse(records_: Iterable[tuple[int, dict]], report: ImportReport, default_currency: str,
           today: date) -> Iterator[list[tuple[int, LedgerRow]]]:
    """Valid rows in batches of BATCH_SIZE; the errors go to `report`."""
    batch: list[tuple[int, LedgerRow]] = []
    for line, record in records_:
        report.rows += 1
        try:
            batch.append((line, fast_row(record, default_currency, today)
                          or parse_row(record, default_currency, today)))
        except RowError as exc:
            report.add_error(line, str(exc))
            continue
        if len(batch) >= BATCH_SIZE:
            yield batch
            batch = []
    yield batch


class _Lookup:
    """The connection identity lookups use: the import's own, or one opened on demand."""

    def __init__(self, conn: Connection | None):
        self._conn, self._own = conn, conn is None

    def get(self) -> Connection:
        if self._conn is None:
            self._conn = db.engine.connect()
        return self._conn

    def close(self) -> None:
        if self._own and self._conn is not None:
            self._conn.close()


def _write(write, lookup: _Lookup, batch: list[tuple[int, LedgerRow]], given: set[str]) -> None:
    with_identity = [(line, row) for line, row in batch if row.identity]
    identities = _identities(lookup.get(), with_identity) if with_identity else {}
    write([staged(line, row, identities.get(line)) for line, row in batch])
    for name in FACTS:
        if name not in given and any(getattr(row, name) not in (None, ()) for _, row in batch):
            given.add(name)
            if name == "identity":
                given.update(("identity_kind", "identity_hash"))


def _identities(conn: Connection, rows: list[tuple[int, LedgerRow]]) -> dict[int, tuple]:
    """(kind, stored hash) per line: the configured kind when given, re-hashed only on change."""
    if not rows:
        return {}
    from portal.debtor.identity import check_identity, hash_fact

    configured = current_app.config["IDENTITY_CHECK"]
    table = Debtor.__table__
    existing = {
        external_id: SimpleNamespace(identity_kind=kind, identity_hash=hashed)
        for external_id, kind, hashed in conn.execute(
            select(table.c.external_id, table.c.identity_kind, table.c.identity_hash)
            .where(table.c.external_id.in_({row.customer_id for _, row in rows})))
    }
    found = {}
    for line, row in rows:
        by_kind = dict(row.identity)
        kind = configured if configured in by_kind else row.identity[0][0]
        value = by_kind[kind]
        old = existing.get(row.customer_id)
        if (old is not None and old.identity_kind == kind and old.identity_hash
                and check_identity(old, value)):
            found[line] = (kind, old.identity_hash)
        else:
            found[line] = (kind, hash_fact(kind, value))
    return found


def _apply(conn: Connection, run_id: int, today: date, own: bool,
           lap: Callable[[str], None]) -> None:
    """Write the valid staged rows: one transaction on PostgreSQL (or when the caller holds
    the transaction), short ones on SQLite."""
    now = datetime.now(UTC)
    short = own and conn.dialect.name == "sqlite"
    if short:
        conn.commit()  # staging touched only temporary tables
    customers = conn.scalar(text(f"SELECT count(*) FROM {DEBTORS}"))  # noqa: S608 - a constant
    bounds = text(f"SELECT min(line), max(line) FROM {STAGE}")  # noqa: S608 - a constant
    first, last = conn.execute(bounds).one()
    if not short:
        trusted = own and _may_skip_fk_triggers(conn)
        if trusted:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        apply.apply_debtors(conn, 1, customers, run_id, now)
        lap("apply debtors")
        if first is not None:
            apply.apply_range(conn, first, last, run_id, now, today, lap)
        if trusted:
            conn.execute(text("SET LOCAL session_replication_role = origin"))
        return
    conn.commit()
    for start in range(1, customers + 1, APPLY_CHUNK):
        apply.apply_debtors(conn, start, start + APPLY_CHUNK - 1, run_id, now)
        conn.commit()
    lap("apply debtors")
    if first is None:
        return
    for start in range(first, last + 1, APPLY_CHUNK):
        apply.apply_range(conn, start, start + APPLY_CHUNK - 1, run_id, now, today, lap)
        conn.commit()
        lap("commit")


def _may_skip_fk_triggers(conn: Connection) -> bool:
    """Whether this PostgreSQL role may switch off foreign-key triggers for its transaction.

    The apply statements are referentially safe by construction: every invoice and payment
    row joins a debtor this same transaction has just upserted (and so holds locked), and
    every allocation joins the payment and invoice it has just written. Checking each row
    again costs one trigger call per foreign key per row, most of the import's time, so a
    role allowed to (a superuser, or on PostgreSQL 15+ one granted `SET ON PARAMETER
    session_replication_role`) skips them for the apply statements only, as pg_restore does.
    """
    if conn.dialect.name != "postgresql":
        return False
    query = "SELECT current_setting('is_superuser') = 'on'"
    if conn.dialect.server_version_info >= (15,):
        query += " OR has_parameter_privilege('session_replication_role', 'SET')"
    return bool(conn.scalar(text(query)))


class AlreadyImported(Exception):
    """This content was imported (or refused) before: `run_id` says by which run."""

    def __init__(self, run_id: int | None):
        super().__init__(f"already imported by run {run_id}")
        self.run_id = run_id


def _start_run(conn: Connection, source: str, origin: str, content_sha256: str | None,
               commit: bool) -> int:
    table = ImportRun.__table__
    statement = insert(table).values(
        source=source[-255:], origin=origin, content_sha256=content_sha256,
        started_at=datetime.now(UTC), status="running", rows=0, customers=0,
        invoices_created=0, invoices_updated=0, error_count=0,
    ).returning(table.c.id)
    try:
        run_id = conn.execute(statement).scalar_one()
    except IntegrityError:
        if content_sha256 is None or not commit:
            raise
        conn.rollback()
        raise AlreadyImported(conn.scalar(
            select(table.c.id).where(table.c.content_sha256 == content_sha256))) from None
    if commit:
        conn.commit()
    return run_id


def _finish_run(conn: Connection, report: ImportReport, status: str, commit: bool) -> None:
    table = ImportRun.__table__
    done = status == "done"
    conn.execute(update(table).where(table.c.id == report.run_id).values(
        rows=report.rows, invoices_created=report.invoices_created if done else 0,
        invoices_updated=report.invoices_updated if done else 0,
        customers=report.customers if done else 0, error_count=report.error_count,
        errors=report.errors[:STORED_ERRORS] or None, status=status,
        finished_at=datetime.now(UTC),
    ))
    if commit:
        conn.commit()
