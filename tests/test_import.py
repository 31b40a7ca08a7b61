"""Ledger import: atomicity, --skip-invalid, idempotent re-import, CLI output, the real dataset."""

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from portal.ledger import importer
from portal.ledger.importer import import_ledger
from portal.models import Debtor, ImportRun, Invoice, Payment, PaymentAllocation
from tests.factories import make_payment

HEADER = "customer_id,invoice_id,issue_date,due_date,amount,currency,paid_date,paid_amount\n"


def write(tmp_path, body: str, name="ledger.csv"):
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def check_invariants(db):
    for invoice in db.session.scalars(select(Invoice)):
        allocated = sum(a.amount_minor for a in invoice.allocations)
        assert allocated == invoice.paid_minor <= invoice.amount_minor
    for payment in db.session.scalars(select(Payment)):
        assert sum(a.amount_minor for a in payment.allocations) == payment.amount_minor


def test_valid_file_is_imported(db, tmp_path):
    path = write(tmp_path, "A,1,2026-01-01,2026-01-31,100.00,USD,2026-02-03,\n"
                           "A,2,2026-02-01,2026-03-03,50.50,USD,,\n"
                           "B,3,2026-02-01,2026-03-03,1500,CLP,,\n")
    report = import_ledger(str(path), today=date(2026, 11, 22))
    assert report.as_dict() == {"rows": 3, "customers": 2, "invoices_created": 3,
                                "invoices_updated": 0, "errors": []}
    paid = db.session.scalar(select(Invoice).where(Invoice.external_id == "1"))
    assert (paid.status, paid.paid_minor, paid.settled_on) == ("paid", 10000, date(2026, 2, 3))
    assert paid.is_late(date(2026, 11, 22))
    clp = db.session.scalar(select(Invoice).where(Invoice.external_id == "3"))
    assert (clp.amount_minor, clp.currency, clp.status) == (1500, "CLP", "open")
    assert count(db, Payment) == 1
    check_invariants(db)


def test_one_bad_row_writes_nothing_by_default(db, tmp_path):
    path = write(tmp_path, "A,1,2026-01-01,2026-01-31,100.00,USD,,\n"
                           "A,2,2026-01-01,2025-01-31,100.00,USD,,\n")
    report = import_ledger(str(path))
    assert not report.written
    assert report.errors == [{"line": 3, "error": "due_date 2025-01-31 is before issue_date "
                                                  "2026-01-01"}]
    assert count(db, Invoice) == 0 and count(db, Debtor) == 0
    assert db.session.scalar(select(ImportRun.status)) == "rejected"


def test_skip_invalid_writes_the_valid_rows(db, tmp_path):
    path = write(tmp_path, "A,1,2026-01-01,2026-01-31,100.00,USD,,\n"
                           "A,2,2026-01-01,2026-01-31,abc,USD,,\n"
                           "A,1,2026-01-01,2026-01-31,100.00,USD,,\n")
    report = import_ledger(str(path), skip_invalid=True)
    assert report.written
    assert [e["line"] for e in report.errors] == [3, 4]
    assert "duplicate invoice_id '1'" in report.errors[1]["error"]
    assert count(db, Invoice) == 1


def test_duplicates_are_found_across_batches(db, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "BATCH_SIZE", 2)
    path = write(tmp_path, "A,1,2026-01-01,2026-01-31,1.00,USD,,\n"
                           "A,2,2026-01-01,2026-01-31,1.00,USD,,\n"
                           "A,3,2026-01-01,2026-01-31,1.00,USD,,\n"
                           "A,1,2026-01-01,2026-01-31,1.00,USD,,\n")
    report = import_ledger(str(path))
    assert report.errors == [{"line": 5,
                              "error": "duplicate invoice_id '1' (first seen on line 2)"}]
    assert count(db, Invoice) == 0


def test_reimport_updates_and_settles_once(db, tmp_path):
    first = write(tmp_path, "A,1,2026-01-01,2026-01-31,100.00,USD,,\n")
    assert import_ledger(str(first)).invoices_created == 1
    second = write(tmp_path, "A,1,2026-01-01,2026-02-15,120.00,USD,2026-02-20,\n", "b.csv")
    report = import_ledger(str(second), today=date(2026, 11, 22))
    assert (report.invoices_created, report.invoices_updated) == (0, 1)
    again = import_ledger(str(second), today=date(2026, 11, 22))
    assert (again.invoices_created, again.invoices_updated) == (0, 1)
    invoice = db.session.scalar(select(Invoice))
    assert (invoice.amount_minor, invoice.due_on, invoice.status) == (12000, date(2026, 2, 15),
                                                                       "paid")
    assert count(db, Payment) == 1 and count(db, PaymentAllocation) == 1
    assert db.session.scalar(select(Payment.received_on)) == date(2026, 2, 20)
    check_invariants(db)


def test_import_respects_payments_made_in_saldo(db, tmp_path):
    path = write(tmp_path, "A,1,2026-01-01,2026-01-31,100.00,USD,,\n")
    import_ledger(str(path))
    invoice = db.session.scalar(select(Invoice))
    make_payment(invoice, 6000, method="card")
    db.session.commit()
    over = write(tmp_path, "A,1,2026-01-01,2026-01-31,100.00,USD,,50.00\n", "b.csv")
    report = import_ledger(str(over))
    assert "above the invoice amount" in report.errors[0]["error"]
    shrink = write(tmp_path, "A,1,2026-01-01,2026-01-31,40.00,USD,,\n", "c.csv")
    assert "below what has already been paid" in import_ledger(str(shrink)).errors[0]["error"]
    assert db.session.scalar(select(Invoice.amount_minor)) == 10000
    check_invariants(db)


def test_invoice_cannot_move_to_another_customer(db, tmp_path):
    import_ledger(str(write(tmp_path, "A,1,2026-01-01,2026-01-31,1.00,USD,,\n")))
    report = import_ledger(str(write(tmp_path, "B,1,2026-01-01,2026-01-31,1.00,USD,,\n", "b.csv")))
    assert "belongs to another customer" in report.errors[0]["error"]


def test_dry_run_writes_nothing_but_reports_counts(db, tmp_path):
    path = write(tmp_path, "A,1,2026-01-01,2026-01-31,1.00,USD,,\n")
    report = import_ledger(str(path), dry_run=True)
    assert (report.rows, report.customers, report.invoices_created) == (1, 1, 1)
    assert not report.written and count(db, Invoice) == 0


def test_file_level_problems(db, tmp_path):
    missing = tmp_path / "m.csv"
    missing.write_text("customer_id,invoice_id,amount\nA,1,2.00\n")
    assert import_ledger(str(missing)).errors == [
        {"line": 1, "error": "missing required column(s): issue_date, due_date"}
    ]
    binary = tmp_path / "b.csv"
    binary.write_bytes(HEADER.encode() + b"A,1,2026-01-01,2026-01-31,\xff\xfe,USD,,\n")
    assert "not valid UTF-8" in import_ledger(str(binary)).errors[0]["error"]


def test_cli_json_and_exit_codes(runner, tmp_path):
    good = write(tmp_path, "A,1,2026-01-01,2026-01-31,1.00,USD,,\n")
    result = runner.invoke(args=["import", "ledger", str(good), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"rows": 1, "customers": 1, "invoices_created": 0 + 1,
                                         "invoices_updated": 0, "errors": []}
    bad = write(tmp_path, "A,2,2026-01-01,2026-01-31,x,USD,,\n", "bad.csv")
    result = runner.invoke(args=["import", "ledger", str(bad), "--json"])
    assert result.exit_code == 1
    assert json.loads(result.output)["errors"][0]["line"] == 2
    result = runner.invoke(args=["import", "ledger", str(bad), "--skip-invalid"])
    assert result.exit_code == 0
    assert "line 2:" in result.output


@pytest.mark.slow
def test_shared_dataset_counts(db, runner, shared_dataset):
    result = runner.invoke(args=["import", "ledger", str(shared_dataset), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["rows"] == 1930 and report["customers"] == 100
    assert report["invoices_created"] == 1930 and report["errors"] == []
    assert count(db, Debtor) == 100
    assert db.session.scalar(
        select(func.count()).select_from(Invoice).where(Invoice.status == "paid")
    ) == 1930
    again = json.loads(runner.invoke(args=["import", "ledger", str(shared_dataset), "--json"])
                       .output)
    assert (again["invoices_created"], again["invoices_updated"]) == (0, 1930)
    assert count(db, Payment) == 1930
    check_invariants(db)


def test_fixture_excerpt_imports(db, runner):
    from pathlib import Path

    excerpt = Path(__file__).parent / "fixtures" / "ledger_excerpt.csv"
    result = runner.invoke(args=["import", "ledger", str(excerpt), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["rows"] == 200


def test_identity_facts_are_imported_hashed_and_checked(db, tmp_path):
    from portal.debtor.identity import check_identity

    path = tmp_path / "ids.csv"
    path.write_text(
        "customer_id,invoice_id,issue_date,due_date,amount,document_last4,birth_date\n"
        "A,1,2026-01-01,2026-01-31,10.00,CC 80.123.4567,\n"
        "B,2,2026-01-01,2026-01-31,10.00,,31/01/1990\n"
        "C,3,2026-01-01,2026-01-31,10.00,12,\n", encoding="utf-8")
    report = import_ledger(str(path), skip_invalid=True, today=date(2026, 11, 22))
    assert report.errors == [{"line": 4, "error": "document_last4 must be at least 4 digits"}]
    a = db.session.scalar(select(Debtor).where(Debtor.external_id == "A"))
    b = db.session.scalar(select(Debtor).where(Debtor.external_id == "B"))
    assert "4567" not in a.identity_hash and a.identity_kind == "document_last4"
    assert check_identity(a, "4567") and not check_identity(a, "4568")
    assert b.identity_kind == "birth_date" and check_identity(b, "1990-01-31")
    stored = a.identity_hash
    import_ledger(str(path), skip_invalid=True, today=date(2026, 11, 22))
    db.session.expire_all()
    a = db.session.scalar(select(Debtor).where(Debtor.external_id == "A"))
    assert a.identity_hash == stored  # unchanged fact: not re-hashed
    path.write_text(
        "customer_id,invoice_id,issue_date,due_date,amount,document_last4\n"
        "A,1,2026-01-01,2026-01-31,10.00,9999\n", encoding="utf-8")
    import_ledger(str(path), today=date(2026, 11, 22))
    db.session.expire_all()
    a = db.session.scalar(select(Debtor).where(Debtor.external_id == "A"))
    assert check_identity(a, "9999") and not check_identity(a, "4567")
