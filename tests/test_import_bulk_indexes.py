"""The first load on PostgreSQL builds the secondary indexes after the rows
(portal.ledger.bulkindex), and the unique-where-set indexes of migration i16_import_indexes.

The rebuilt indexes are exactly the ones the migrations made; a busy table keeps its
indexes instead of waiting; a failed import rolls the drop back; a ledger of a tenth of
the file or more keeps its indexes; the partial unique indexes still refuse a set duplicate.
"""

import threading
from datetime import date

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import IntegrityError

from portal.ledger import apply, bulkindex
from portal.ledger.importer import import_ledger
from portal.models import Debtor, Invoice, Payment
from tests.conftest import only_on
from tests.factories import make_debtor, make_invoice, make_payment

HEADER = "customer_id,invoice_id,issue_date,due_date,amount,currency,paid_date,paid_amount\n"
TODAY = date(2026, 11, 22)


def ledger(tmp_path, rows: int, start: int = 0):
    body = "".join(
        f"C{n % 7},I{n},2026-01-{1 + n % 28:02d},2026-03-{1 + n % 28:02d},{10 + n}.00,USD,"
        + (f"2026-03-01,{10 + n}.00\n" if n % 3 else ",\n")
        for n in range(start, start + rows))
    path = tmp_path / f"ledger_{start}.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def definitions(db) -> dict[str, str]:
    return dict(db.session.execute(text(
        "SELECT indexname, indexdef FROM pg_indexes "
        "WHERE tablename IN ('invoice', 'payment', 'payment_allocation', 'debtor')")).all())


@pytest.fixture
def pg(db):
    assert db.engine.dialect.name == "postgresql"
    return db


@only_on("postgresql")  # the index rebuild exists on PostgreSQL only
def test_first_load_rebuilds_the_same_indexes(pg, tmp_path, monkeypatch):
    monkeypatch.setattr(bulkindex, "MIN_ROWS", 10)
    before = definitions(pg)
    report = import_ledger(str(ledger(tmp_path, 40)), today=TODAY)
    assert report.written and "drop indexes" in report.timings
    assert "build indexes" in report.timings
    assert definitions(pg) == before
    assert {"ix_invoice_status_due_on", "ix_invoice_debtor_status",
            "ix_payment_debtor_id"} <= set(before)
    assert pg.session.scalar(select(func.count(Invoice.id))) == 40
    assert pg.session.scalar(select(func.count(Payment.id))) == 26
    # The rebuilt index answers the scheduler's query.
    pg.session.execute(text("SET enable_seqscan = off"))
    plan = "\n".join(pg.session.scalars(text(
        "EXPLAIN SELECT id FROM invoice WHERE status = 'open' AND due_on = '2026-03-04'")))
    assert "ix_invoice_status_due_on" in plan


def ledger_rows(db) -> list:
    return db.session.execute(text(
        "SELECT d.external_id, d.name, i.external_id, i.issued_on, i.due_on, i.amount_minor,"
        " i.currency, i.status, i.paid_minor, i.settled_on, p.amount_minor, p.external_ref,"
        " p.received_on, a.amount_minor FROM invoice i JOIN debtor d ON d.id = i.debtor_id"
        " LEFT JOIN payment_allocation a ON a.invoice_id = i.id"
        " LEFT JOIN payment p ON p.id = a.payment_id ORDER BY i.external_id")).all()


@only_on("postgresql")  # the index rebuild exists on PostgreSQL only
def test_the_first_load_writes_what_the_upserts_write(pg, tmp_path, monkeypatch):
    """Into empty, locked tables the apply inserts without conflict arbitration; the
    ledger is the same as the upserts make, and importing it again changes nothing."""
    monkeypatch.setattr(bulkindex, "MIN_ROWS", 10)
    seen = []
    real = apply.apply_range

    def spy(*args, **kwargs):
        seen.append(kwargs.get("empty"))
        return real(*args, **kwargs)

    monkeypatch.setattr(apply, "apply_range", spy)
    path = ledger(tmp_path, 60)
    assert import_ledger(str(path), today=TODAY).written
    first = ledger_rows(pg)
    again = import_ledger(str(path), today=TODAY)
    assert again.invoices_updated == 60 and ledger_rows(pg) == first
    pg.session.execute(text("TRUNCATE invoice, payment, payment_allocation, debtor CASCADE"))
    pg.session.commit()
    assert import_ledger(str(path), today=TODAY, bulk_indexes=False).written
    assert seen == [True, False, False]
    assert ledger_rows(pg) == first and len(first) == 60
    assert sum(1 for row in first if row[-1] is not None) == 40


@only_on("postgresql")  # the index rebuild exists on PostgreSQL only
def test_a_ledger_a_tenth_of_the_file_or_more_keeps_its_indexes(pg, tmp_path, monkeypatch):
    monkeypatch.setattr(bulkindex, "MIN_ROWS", 10)
    assert "drop indexes" in import_ledger(str(ledger(tmp_path, 40)), today=TODAY).timings
    before = definitions(pg)
    # 350 new rows into 40 invoices: more than the ledger, not ten times it.
    report = import_ledger(str(ledger(tmp_path, 350, start=40)), today=TODAY)
    assert report.written and "drop indexes" not in report.timings
    assert definitions(pg) == before
    monkeypatch.setattr(bulkindex, "MIN_ROWS", 10_000)  # and a small file never
    pg.session.execute(text("TRUNCATE invoice, payment, payment_allocation, debtor CASCADE"))
    pg.session.commit()
    report = import_ledger(str(ledger(tmp_path, 100, start=60)), today=TODAY)
    assert report.written and "drop indexes" not in report.timings


@only_on("postgresql")  # the index rebuild exists on PostgreSQL only
def test_keep_indexes_and_the_cli_flag(pg, tmp_path, monkeypatch, runner):
    monkeypatch.setattr(bulkindex, "MIN_ROWS", 10)
    report = import_ledger(str(ledger(tmp_path, 40)), today=TODAY, bulk_indexes=False)
    assert report.written and "drop indexes" not in report.timings
    pg.session.execute(text("TRUNCATE invoice, payment, payment_allocation, debtor CASCADE"))
    pg.session.commit()
    result = runner.invoke(args=["import", "ledger", str(ledger(tmp_path, 40)), "--timings",
                                 "--keep-indexes"])
    assert result.exit_code == 0, result.output
    assert "drop indexes" not in result.output
    pg.session.execute(text("TRUNCATE invoice, payment, payment_allocation, debtor CASCADE"))
    pg.session.commit()
    result = runner.invoke(args=["import", "ledger", str(ledger(tmp_path, 40)), "--timings"])
    assert result.exit_code == 0 and "timing build indexes" in result.output


@only_on("postgresql")  # the index rebuild exists on PostgreSQL only
def test_a_busy_ledger_is_not_waited_for(pg, tmp_path, monkeypatch):
    """A reader holding the invoice table: the import keeps the indexes and goes on at
    once, and the reader is never blocked for the length of the import."""
    monkeypatch.setattr(bulkindex, "MIN_ROWS", 10)
    monkeypatch.setattr(bulkindex, "LOCK_TIMEOUT", "200ms")
    before = definitions(pg)
    reader = create_engine(pg.engine.url)
    holding, release = threading.Event(), threading.Event()

    def read():
        with reader.connect() as conn:
            conn.execute(text("SELECT count(*) FROM invoice")).scalar()  # holds ACCESS SHARE
            holding.set()
            release.wait(30)
            conn.rollback()

    thread = threading.Thread(target=read)
    thread.start()
    try:
        assert holding.wait(10)
        report = import_ledger(str(ledger(tmp_path, 40)), today=TODAY, bulk_indexes=True)
    finally:
        release.set()
        thread.join(10)
        reader.dispose()
    assert report.written and "drop indexes" not in report.timings
    assert definitions(pg) == before
    assert pg.session.scalar(select(func.count(Invoice.id))) == 40


@only_on("postgresql")  # the index rebuild exists on PostgreSQL only
def test_a_failed_import_keeps_the_indexes(pg, tmp_path, monkeypatch):
    monkeypatch.setattr(bulkindex, "MIN_ROWS", 10)
    before = definitions(pg)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(apply, "apply_range", broken)
    with pytest.raises(RuntimeError):
        import_ledger(str(ledger(tmp_path, 40)), today=TODAY)
    pg.session.rollback()
    assert definitions(pg) == before
    assert pg.session.scalar(select(func.count(Invoice.id))) == 0


@only_on("sqlite")
def test_sqlite_never_drops(db, tmp_path, monkeypatch):
    monkeypatch.setattr(bulkindex, "MIN_ROWS", 10)
    report = import_ledger(str(ledger(tmp_path, 40)), today=TODAY, bulk_indexes=True)
    assert report.written and "drop indexes" not in report.timings


def test_unique_where_set(db):
    """Many rows may leave the Stripe ids and idempotency keys NULL; a set one is unique."""
    first, second = make_debtor(), make_debtor()
    invoice = make_invoice(first)
    make_payment(invoice, 100)
    make_payment(invoice, 100)  # both leave every optional id NULL
    db.session.commit()
    make_payment(invoice, 100, idempotency_key="k1", stripe_payment_intent_id="pi_1")
    db.session.commit()
    for column, value in (("idempotency_key", "k1"), ("stripe_payment_intent_id", "pi_1")):
        with pytest.raises(IntegrityError):
            make_payment(invoice, 100, **{column: value})
        db.session.rollback()
    first.stripe_customer_id = "cus_1"
    db.session.commit()
    second.stripe_customer_id = "cus_1"
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert db.session.scalar(select(func.count(Debtor.id)).where(
        Debtor.stripe_customer_id.is_(None))) == 1
    if db.engine.dialect.name == "postgresql":
        found = definitions(db)
        for name in ("uq_payment_idempotency_key", "uq_payment_stripe_payment_intent_id",
                     "uq_debtor_stripe_customer_id"):
            assert "IS NOT NULL" in found[name], found[name]
