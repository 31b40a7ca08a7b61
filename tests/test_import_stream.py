"""Ledger import inputs and the set-based entry point: gzip, stdin, over-long lines with
bounded memory, `import_rows` (the API's bulk path), and SQLite staying writable meanwhile."""

import gzip
import json
import threading
import time
import tracemalloc
from datetime import date

import pytest
from sqlalchemy import func, select, text, update

from portal.ledger.importer import import_ledger, import_rows
from portal.ledger.source import MAX_LINE_CHARS
from portal.models import Debtor, ImportRun, Invoice, Payment
from tests.factories import make_debtor

HEADER = "customer_id,invoice_id,issue_date,due_date,amount,currency,paid_date,paid_amount\n"
ROWS = ("A,1,2026-01-01,2026-01-31,100.00,USD,2026-02-03,\n"
        "B,2,2026-02-01,2026-03-03,50.50,USD,,\n")


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_gzip_file_is_recognised_by_content(db, tmp_path):
    path = tmp_path / "ledger.csv"  # no .gz suffix: the magic bytes decide
    path.write_bytes(gzip.compress((HEADER + ROWS).encode()))
    report = import_ledger(str(path), today=date(2026, 11, 22))
    assert report.written and report.errors == []
    assert (report.rows, report.customers, report.invoices_created) == (2, 2, 2)
    assert count(db, Invoice) == 2 and count(db, Payment) == 1


def test_truncated_gzip_is_rejected_and_writes_nothing(db, tmp_path):
    path = tmp_path / "ledger.csv.gz"
    path.write_bytes(gzip.compress((HEADER + ROWS * 50).encode())[:-20])
    report = import_ledger(str(path), skip_invalid=True)
    assert not report.written
    assert "cannot be read" in report.errors[-1]["error"]
    assert count(db, Invoice) == 0


def test_standard_input_through_the_cli(runner, db):
    result = runner.invoke(args=["import", "ledger", "-", "--json"], input=HEADER + ROWS)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["invoices_created"] == 2
    assert db.session.scalar(select(ImportRun.source)) == "stdin"


def test_an_enormous_line_is_refused_by_line_number_without_reading_it_whole(db, tmp_path):
    path = tmp_path / "huge.csv"
    size = 24 * MAX_LINE_CHARS  # 24 MiB on one line
    with path.open("w") as fh:
        fh.write(HEADER + "A,1,2026-01-01,2026-01-31,1.00,USD,,\n")
        fh.write("B," + "9" * size + "\n")
    tracemalloc.start()
    try:
        report = import_ledger(str(path), skip_invalid=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not report.written
    assert report.errors == [{"line": 3, "error": (
        f"line 3 is longer than {MAX_LINE_CHARS:,} characters; a ledger line is a few "
        "hundred (is this the right file?)")}]
    assert peak < 4 * MAX_LINE_CHARS * 4, f"peak {peak / 1e6:.1f} MB for a {size / 1e6:.0f} MB line"
    assert count(db, Invoice) == 0 and count(db, Debtor) == 0


def test_import_rows_reports_positions_and_upserts(db):
    rows = [
        {"customer_id": "A", "invoice_id": "X1", "issue_date": "2026-01-01",
         "due_date": "2026-01-31", "amount": 12.5, "currency": "USD", "disputed": True},
        {"customer_id": "A", "invoice_id": "X2", "issue_date": "2026-01-01",
         "due_date": "2025-01-31", "amount": "3.00"},
    ]
    report = import_rows(rows, today=date(2026, 11, 22))
    assert not report.written
    assert report.errors == [{"line": 2, "error": "due_date 2025-01-31 is before issue_date "
                                                  "2026-01-01"}]
    report = import_rows(rows[:1], today=date(2026, 11, 22))
    assert report.written and report.invoices_created == 1
    invoice = db.session.scalar(select(Invoice))
    assert (invoice.amount_minor, invoice.disputed) == (1250, True)
    again = import_rows([{**rows[0], "amount": "13.00"}], today=date(2026, 11, 22))
    assert (again.invoices_created, again.invoices_updated) == (0, 1)
    db.session.expire_all()
    assert db.session.scalar(select(Invoice.amount_minor)) == 1300


def test_import_rows_inside_the_callers_transaction(db):
    row = {"customer_id": "A", "invoice_id": "X1", "issue_date": "2026-01-01",
           "due_date": "2026-01-31", "amount": "1.00"}
    report = import_rows([row], connection=db.session.connection())
    assert report.written
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 1
    db.session.rollback()  # the caller's rollback undoes the import
    assert count(db, Invoice) == 0 and count(db, Debtor) == 0
    import_rows([row], connection=db.session.connection())
    db.session.commit()
    assert count(db, Invoice) == 1


def test_portal_writes_succeed_while_a_large_import_runs(app, db, tmp_path):
    """Real threads: the import runs while another connection keeps writing, each write
    allowed to wait at most three seconds for the lock. On SQLite that holds only because
    the import stages in a temporary table and applies in short transactions."""
    debtor = make_debtor(external_id="portal-user")
    db.session.commit()
    path = tmp_path / "big.csv"
    with path.open("w") as fh:
        fh.write(HEADER)
        for n in range(30_000):
            fh.write(f"C{n % 3000},I{n},2026-01-01,2026-01-31,{n % 900 + 1}.25,USD,"
                     f"{'2026-02-01' if n % 2 else ''},\n")
    outcome = {}

    def run_import():
        with app.app_context():
            outcome["report"] = import_ledger(str(path), today=date(2026, 11, 22))

    worker = threading.Thread(target=run_import)
    worker.start()
    writes = 0
    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA busy_timeout=3000")
        while worker.is_alive():
            conn.execute(update(Debtor).where(Debtor.id == debtor.id)
                         .values(name=f"written {writes}"))
            conn.commit()
            writes += 1
            time.sleep(0.02)
    worker.join()
    assert outcome["report"].written and outcome["report"].invoices_created == 30_000
    assert writes > 5
    with db.engine.connect() as conn:
        assert conn.scalar(text("SELECT name FROM debtor WHERE external_id = 'portal-user'")) \
            == f"written {writes - 1}"


def test_rows_know_every_identity_kind():
    from portal.debtor import identity
    from portal.ledger import rows

    assert rows._IDENTITY_KINDS == identity.KINDS


def test_a_crash_while_applying_marks_the_run_failed(db, tmp_path, monkeypatch):
    from portal.ledger import apply

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(apply, "apply_range", broken)
    path = tmp_path / "ledger.csv"
    path.write_text(HEADER + ROWS)
    with pytest.raises(RuntimeError, match="disk full"):
        import_ledger(str(path), today=date(2026, 11, 22))
    assert db.session.scalar(select(ImportRun.status)) == "failed"
    assert count(db, Invoice) == 0


def test_an_import_that_settles_an_invoice_keeps_its_open_promise(db, tmp_path):
    from portal.models import PromiseToPay

    path = tmp_path / "ledger.csv"
    path.write_text(HEADER + "A,1,2026-01-01,2026-01-31,100.00,USD,,\n")
    import_ledger(str(path), today=date(2026, 11, 22))
    invoice = db.session.scalar(select(Invoice))
    db.session.add(PromiseToPay(debtor_id=invoice.debtor_id, invoice_id=invoice.id,
                                promised_on=date(2026, 2, 10), amount_minor=10000,
                                currency="USD"))
    db.session.commit()
    path.write_text(HEADER + "A,1,2026-01-01,2026-01-31,100.00,USD,2026-02-09,\n")
    assert import_ledger(str(path), today=date(2026, 11, 22)).written
    db.session.expire_all()
    assert db.session.scalar(select(PromiseToPay.status)) == "kept"
