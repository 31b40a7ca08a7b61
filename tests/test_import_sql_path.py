"""PostgreSQL's quick import path (portal.ledger.rawcopy): COPY the bytes, validate in SQL.

It must accept, convert and refuse exactly as the Python path does: the same error messages
by line, the same rows written. Inputs it cannot take (a quoted newline, a ragged row, bad
UTF-8) fall back to the Python path with the right line numbers; gzip and stdin work.
"""

import gzip
import json
from datetime import date

import pytest
from sqlalchemy import func, select, text

from portal.ledger import importer, rawcopy
from portal.ledger.importer import import_ledger
from portal.models import Debtor, Invoice, Payment, PaymentAllocation
from tests.conftest import only_on

TODAY = date(2026, 11, 22)
COLUMNS = ("customer_id,invoice_id,issue_date,due_date,amount,currency,paid_date,paid_amount,"
           "disputed,paperless,customer_name,email,phone,locale,timezone,country,"
           "document_last4,postal_code,birth_date,consent_email,consent_sms,consent_whatsapp")
WIDTH = len(COLUMNS.split(","))


def row(*fields: str) -> str:
    return ",".join(fields + ("",) * (WIDTH - len(fields))) + "\n"


GOOD = [
    row("C1", "I1", "2026-01-01", "2026-01-31", "100.00", "USD", "2026-02-03", "100.00"),
    row(" C1 ", " I2 ", " 2026-01-02 ", "2026-02-01", " 10.500 ", "usd", "", " 4.00 "),
    row("C2", "I3", "2026-03-01", "2026-03-31", "1500", "JPY", "2026-03-05"),
    row("C2", "I4", "2026-03-01", "2026-03-31", "1.250", "KWD", "", "0.000"),
    row("C3", "I5", "2024-02-29", "2024-03-31", "7", "", "", "", "Yes", "TRUE", "José Müller",
        "Ana@Example.COM"),
    row("C3", "I6", "1949-05-01", "1949-06-01", "3.10", "EUR", "", "", " no ", "no",
        '"Ana\u00a0"'),
    row("C4", "I7", "2026-01-01", "2026-01-31", "12.00", "USD", "", "", "", "", "Phone Co",
        "", "+34 (600) 11-22-33", "es-ES", "Europe/Madrid", "es", "", "", "", "2026-01-05"),
    row("C5", "I8", "2026-01-01", "2026-01-31", "12.00", "USD", "", "", "", "", "", "", "", "",
        "", "", "12345678"),
    row("C6", "I9", "2026-01-01", "2026-01-31", "\u0661\u0660\u0660", "USD"),
    row("C6", "I10", "2026-01-01", "2026-01-31", "0001.10", "USD", "2026-01-31", "", "0", "1"),
]
BAD = [
    row("", "B1", "2026-01-01", "2026-01-31", "1.00"),
    row("C9", "", "2026-01-01", "2026-01-31", "1.00"),
    row("C9", "B3", "", "2026-01-31", "1.00"),
    row("C9", "B4", "2026/01/01", "2026-01-31", "1.00"),
    row("C9", "B5", "2026-02-30", "2026-03-31", "1.00"),
    row("C9", "B6", "2025-02-29", "2025-03-31", "1.00"),
    row("C9", "B7", "2026-02-01", "2026-01-31", "1.00"),
    row("C9", "B8", "2026-01-01", "2026-01-31", "-5.00"),
    row("C9", "B9", "2026-01-01", "2026-01-31", '"1,000.00"'),
    row("C9", "B10", "2026-01-01", "2026-01-31", "0"),
    row("C9", "B11", "2026-01-01", "2026-01-31", "10.555"),
    row("C9", "B12", "2026-01-01", "2026-01-31", "abc"),
    row("C9", "B13", "2026-01-01", "2026-01-31", "1e5"),
    row("C9", "B14", "2026-01-01", "2026-01-31", "99999999999999999"),
    row("C9", "B15", "2026-01-01", "2026-01-31", "1.00", "XYZ"),
    row("C9", "B16", "2026-01-01", "2026-01-31", "1.00", "US Dollar"),
    row("C9", "B17", "2026-01-01", "2026-01-31", "1.00", "USD", "", "2.00"),
    row("C9", "B18", "2026-01-01", "2026-01-31", "1.00", "USD", "2025-12-01"),
    row("C9", "B19", "2026-01-01", "2026-01-31", "1.00", "USD", "2026-12-01"),
    row("C9", "B20", "2026-01-01", "2026-01-31", "1.00", "USD", "", "1.00"),
    row("C9", "B21", "2026-01-01", "2026-01-31", "1.00", "USD", "", "", "maybe"),
    row("C9", "B22", "2026-01-01", "2026-01-31", "1.00", "USD", "", "", "", "", "", "not-mail"),
    row("C9", "B23", "2026-01-01", "2026-01-31", "1.00", "USD", "", "", "", "", "N" * 201),
    row("C9", "B24", "2026-01-01", "2026-01-31", "1.00", "USD", "", "", "", "", '"Bad\tName"'),
    row("C" * 65, "B25", "2026-01-01", "2026-01-31", "1.00"),
    row("C9", "B26", "2026-01-01", "2026-01-31", "1.00", "", "", "", "", "", "", "", "phone!"),
    row("C9", "B27", "2026-01-01", "2026-01-31", "1.00", "", "", "", "", "", "", "", "",
        "xx_YY_zz"),
    row("C9", "B28", "2026-01-01", "2026-01-31", "1.00", "", "", "", "", "", "", "", "", "",
        "", "", "12"),
    row("C9", "B29", "2026-01-01", "2026-01-31", "1.00", "USD", "", "", "", "", "", "", "",
        "", "", "", "", "", "", "2027-01-01"),
    row("C9", "I1", "2026-01-01", "2026-01-31", "1.00"),  # a duplicate invoice id
    row("C9", "B31", "2026-01-01", "2026-01-31", "1.", "USD"),
    row("C9", "B32", "2026-01-01", "2026-01-31", ".5", "USD"),
    row("C9", "B33", "0000-01-01", "2026-01-31", "1.00", "USD"),
]


pytestmark = only_on("postgresql")  # the COPY path exists on PostgreSQL only


@pytest.fixture
def postgres(db):
    assert db.engine.dialect.name == "postgresql"
    return db


def ledger(tmp_path, rows, name="ledger.csv", header=COLUMNS):
    path = tmp_path / name
    path.write_text(header + "\n" + "".join(rows), encoding="utf-8")
    return path


def imported(db) -> dict:
    """What the ledger holds, without ids, hashes and times."""
    def rows(sql):
        return sorted(tuple(r) for r in db.session.execute(text(sql)))
    return {
        "invoices": rows("SELECT i.external_id, d.external_id, issued_on, due_on, amount_minor,"
                         " currency, status, paid_minor, settled_on, disputed, i.paperless"
                         " FROM invoice i JOIN debtor d ON d.id = i.debtor_id"),
        "debtors": rows("SELECT external_id, name, email, phone, locale, timezone, country,"
                        " paperless, identity_kind, consent_email_at FROM debtor"),
        "payments": rows("SELECT external_ref, amount_minor, currency, received_on FROM payment"),
        "allocations": db.session.scalar(select(func.count()).select_from(PaymentAllocation)),
    }


def wipe(db):
    for table in ("payment_allocation", "payment", "invoice", "debtor"):
        db.session.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - constants
    db.session.commit()


def run(path, *, sql: bool, monkeypatch, **kwargs):
    monkeypatch.setattr(importer, "SQL_VALIDATION", sql)
    report = import_ledger(str(path), today=TODAY, **kwargs)
    assert ("validate in SQL" in report.timings) is sql
    return report


def test_sql_and_python_validation_agree_on_every_kind_of_row(postgres, tmp_path, monkeypatch):
    path = ledger(tmp_path, GOOD + BAD)
    python = run(path, sql=False, monkeypatch=monkeypatch, skip_invalid=True)
    by_python = imported(postgres)
    wipe(postgres)
    quick = run(path, sql=True, monkeypatch=monkeypatch, skip_invalid=True)
    assert quick.errors == python.errors
    assert len(quick.errors) == len(BAD)  # every bad row, each with its own line
    assert [e["line"] for e in quick.errors] == list(range(len(GOOD) + 2,
                                                          len(GOOD) + len(BAD) + 2))
    assert (quick.rows, quick.customers, quick.invoices_created) == (
        python.rows, python.customers, python.invoices_created)
    assert imported(postgres) == by_python
    assert by_python["invoices"] and by_python["payments"]
    names = {r[0]: r[1] for r in by_python["debtors"]}
    assert names["C3"] == "Ana" and names["C1"] == "C1"  # stripped by Python's rules


def test_plain_rows_never_reach_python(postgres, tmp_path, monkeypatch):
    calls = []
    real = importer._parse

    def counting(records_, *args):
        records_ = list(records_)
        calls.extend(line for line, _ in records_)
        return real(records_, *args)

    monkeypatch.setattr(importer, "_parse", counting)
    path = ledger(tmp_path, GOOD)
    report = run(path, sql=True, monkeypatch=monkeypatch)
    assert report.written and report.invoices_created == len(GOOD)
    # Python sees only the rows with a doubtful value or a column SQL does not check.
    assert calls == [6, 7, 8, 9, 10]  # non-ASCII text, a phone, an identity fact, …


def test_a_quoted_newline_falls_back_with_the_right_line_numbers(postgres, tmp_path,
                                                                   monkeypatch):
    header = "customer_id,invoice_id,issue_date,due_date,amount,customer_name"
    rows = ['A,1,2026-01-01,2026-01-31,1.00,"two\nlines"\n',
            "B,2,2026-02-01,2026-01-31,1.00,x\n"]
    path = ledger(tmp_path, rows, header=header)
    report = run(path, sql=False, monkeypatch=monkeypatch, dry_run=True)
    assert report.errors == [
        {"line": 2, "error": "customer_name contains control characters"},
        {"line": 4, "error": "due_date 2026-01-31 is before issue_date 2026-02-01"}]
    monkeypatch.setattr(importer, "SQL_VALIDATION", True)
    again = import_ledger(str(path), today=TODAY, dry_run=True)
    assert "validate in SQL" not in again.timings  # the Python path read it
    assert again.errors == report.errors and again.rows == 2


@pytest.mark.parametrize("body, error", [
    ("A,1,2026-01-01,2026-01-31,1.00,x,extra\n", "the row has more fields than the header"),
    ("A,1,2026-01-01,2026-01-31\n", "amount is required"),
])
def test_ragged_rows_fall_back_to_python(postgres, tmp_path, body, error):
    path = ledger(tmp_path, ["A,0,2026-01-01,2026-01-31,1.00,x\n", "\n", body],
                  header="customer_id,invoice_id,issue_date,due_date,amount,customer_name")
    report = import_ledger(str(path), today=TODAY)
    assert "validate in SQL" not in report.timings
    assert report.errors == [{"line": 4, "error": error}]


def test_bad_utf8_is_reported_as_before(postgres, tmp_path):
    path = tmp_path / "b.csv"
    path.write_bytes(b"customer_id,invoice_id,issue_date,due_date,amount\n"
                     b"A,1,2026-01-01,2026-01-31,\xff\xfe\n")
    report = import_ledger(str(path))
    assert "not valid UTF-8" in report.errors[0]["error"] and not report.written


def test_gzip_goes_through_sql(postgres, tmp_path):
    path = tmp_path / "ledger.csv"
    path.write_bytes(gzip.compress((COLUMNS + "\n" + "".join(GOOD + BAD[:3])).encode()))
    report = import_ledger(str(path), today=TODAY, skip_invalid=True)
    assert "validate in SQL" in report.timings
    assert [e["line"] for e in report.errors] == [12, 13, 14]
    assert report.written and postgres.session.scalar(
        select(func.count()).select_from(Invoice)) == len(GOOD)


def test_standard_input_goes_through_sql_and_can_fall_back(postgres, runner):
    body = COLUMNS + "\n" + "".join(GOOD)
    result = runner.invoke(args=["import", "ledger", "-", "--json", "--timings"], input=body)
    assert result.exit_code == 0, result.output
    assert "timing validate in SQL" in result.output
    assert json.loads(result.output.splitlines()[-1])["invoices_created"] == len(GOOD)
    multi = 'customer_id,invoice_id,issue_date,due_date,amount,customer_name\n' \
            'Z,Z1,2026-01-01,2026-01-31,1.00,"a\nb"\nZ,Z2,2026-01-01,2025-01-31,1.00,x\n'
    result = runner.invoke(args=["import", "ledger", "-", "--json"], input=multi)
    assert result.exit_code == 1
    assert [e["line"] for e in json.loads(result.output)["errors"]] == [2, 4]
    assert postgres.session.scalar(select(func.count()).select_from(Debtor)
                                   .where(Debtor.external_id == "Z")) == 0


def test_reimporting_an_unchanged_file_rewrites_nothing(postgres, tmp_path):
    path = ledger(tmp_path, GOOD)
    first = import_ledger(str(path), today=TODAY)
    stamps = dict(postgres.session.execute(
        select(Invoice.external_id, Invoice.updated_at)).all())
    payments = postgres.session.scalar(select(func.count()).select_from(Payment))
    second = import_ledger(str(path), today=TODAY)
    assert second.written and second.invoices_updated == first.invoices_created
    postgres.session.expire_all()
    assert dict(postgres.session.execute(
        select(Invoice.external_id, Invoice.updated_at)).all()) == stamps
    assert postgres.session.scalar(select(func.count()).select_from(Payment)) == payments


def test_lines_longer_than_the_limit_go_to_python(monkeypatch, postgres, tmp_path):
    monkeypatch.setattr(rawcopy, "LINE_LIMIT", 60)
    path = ledger(tmp_path, ["C1,I1,2026-01-01,2026-01-31,100.00,USD,,,A name\n"],
                  header="customer_id,invoice_id,issue_date,due_date,amount,currency,"
                  "paid_date,paid_amount,customer_name")
    report = import_ledger(str(path), today=TODAY)
    assert "validate in SQL" not in report.timings and report.written


@pytest.mark.parametrize("name", ['Jo"h"n', '"Jo"hn'])
def test_a_stray_quote_is_read_as_python_reads_it(postgres, tmp_path, name):
    path = ledger(tmp_path, [f"A,1,2026-01-01,2026-01-31,1.00,{name}\n"],
                  header="customer_id,invoice_id,issue_date,due_date,amount,customer_name")
    report = import_ledger(str(path), today=TODAY)
    assert "validate in SQL" not in report.timings and report.written
    assert postgres.session.scalar(select(Debtor.name)) == next(
        __import__("csv").reader([name]))[0]


def test_a_field_over_the_csv_limit_is_refused_as_python_refuses_it(postgres, tmp_path,
                                                                     monkeypatch):
    path = ledger(tmp_path, ["A,1,2026-01-01,2026-01-31,1.00," + "N" * 140_000 + "\n"],
                  header="customer_id,invoice_id,issue_date,due_date,amount,customer_name")
    quick = import_ledger(str(path), today=TODAY)
    python = run(path, sql=False, monkeypatch=monkeypatch)
    assert quick.errors == python.errors and "not valid CSV" in quick.errors[0]["error"]


def test_the_shared_dataset_is_imported_alike_by_both_paths(postgres, shared_dataset,
                                                             monkeypatch):
    quick = run(shared_dataset, sql=True, monkeypatch=monkeypatch)
    by_sql = imported(postgres)
    wipe(postgres)
    python = run(shared_dataset, sql=False, monkeypatch=monkeypatch)
    assert quick.written and python.written and quick.errors == python.errors == []
    assert (quick.rows, quick.customers) == (python.rows, python.customers) == (1930, 100)
    assert imported(postgres) == by_sql
