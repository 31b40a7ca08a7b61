"""Reading the ledger CSV into the canonical frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from risk.ledger import CANONICAL_COLUMNS, read_ledger_csv

HEADER = "customer_id,invoice_id,issue_date,due_date,amount,currency,paid_date,paid_amount," \
         "disputed,paperless\n"


def write(tmp_path, text, name="ledger.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_canonical_columns_and_types(tmp_path):
    path = write(tmp_path, HEADER
                 + "c1,i1,2024-01-01,2024-01-31,0.29,USD,2024-01-20,0.29,true,false\n"
                 + "c1,i2,2024-02-01,2024-03-02,1500,JPY,,,false,TRUE\n"
                 + "c2,i3,2024-02-01,2024-03-02,1.250,KWD,2024-03-01,1.000,,\n")
    frame = read_ledger_csv(path)
    assert tuple(frame.columns) == CANONICAL_COLUMNS
    assert frame["amount_minor"].tolist() == [29, 1500, 1250]
    assert frame["paid_minor"].tolist() == [29, 0, 1000]
    assert frame["amount_minor"].dtype == np.int64 and frame["paid_minor"].dtype == np.int64
    assert frame["currency"].tolist() == ["USD", "JPY", "KWD"]
    assert frame["disputed"].tolist() == [True, False, False]
    assert frame["paperless"].tolist() == [False, True, False]
    assert frame["settled_on"].isna().tolist() == [False, True, False]
    for column in ("issued_on", "due_on", "settled_on"):
        assert frame[column].dtype == "datetime64[ns]"
    assert frame["invoice_id"].tolist() == ["i1", "i2", "i3"]


def test_amounts_are_exact_not_floats(tmp_path):
    amounts = ["0.1", "0.2", "0.3", "1.15", "1234567.89", "19.99"]  # all inexact as floats
    rows = "".join(f"c,i{k},2024-01-01,2024-01-31,{a},USD,,,false,false\n"
                   for k, a in enumerate(amounts))
    frame = read_ledger_csv(write(tmp_path, HEADER + rows))
    assert frame["amount_minor"].tolist() == [10, 20, 30, 115, 123456789, 1999]


def test_optional_columns_may_be_absent(tmp_path):
    path = write(tmp_path, "customer_id,invoice_id,issue_date,due_date,amount\n"
                           "c1,7,2024-01-01,2024-01-31,12.5\n")
    frame = read_ledger_csv(path, default_currency="EUR")
    row = frame.iloc[0]
    assert row["currency"] == "EUR" and row["amount_minor"] == 1250 and row["paid_minor"] == 0
    assert pd.isna(row["settled_on"]) and not row["disputed"] and not row["paperless"]
    assert row["invoice_id"] == "7"


def test_settled_without_paid_amount_was_paid_in_full(tmp_path):
    path = write(tmp_path, HEADER + "c,i,2024-01-01,2024-01-31,10.00,USD,2024-01-05,,false,\n")
    assert read_ledger_csv(path)["paid_minor"].tolist() == [1000]


def test_missing_required_column(tmp_path):
    path = write(tmp_path, "customer_id,invoice_id,issue_date,amount\nc,i,2024-01-01,1\n")
    with pytest.raises(ValueError, match="missing required column.*due_date"):
        read_ledger_csv(path)


@pytest.mark.parametrize(("row", "message"), [
    ("c,i,2024-01-01,2024-01-31,1.005,USD,,,false,false", "bad amount.*line.* 3"),
    ("c,i,2024-01-01,2024-01-31,10.5,JPY,,,false,false", "bad amount.*line.* 3"),
    ("c,i,2024-01-01,2024-01-31,ten,USD,,,false,false", "bad amount.*line.* 3"),
    ("c,i,2024-13-01,2024-01-31,1,USD,,,false,false", "issue_date is not an ISO date.* 3"),
    ("c,i,2024-01-01,2024-01-31,1,USD,yesterday,,false,false", "paid_date is not an ISO.* 3"),
    ("c,i,2024-01-01,2024-01-31,1,USD,,,maybe,false", "disputed is not true/false.* 3"),
    ("c,i,2024-02-01,2024-01-31,1,USD,,,false,false", "due_date before issue_date.* 3"),
    ("c,i2,2024-01-01,2024-01-31,1,USD,,,false,false", "duplicate invoice_id.* 3"),
    (",i,2024-01-01,2024-01-31,1,USD,,,false,false", "empty customer_id"),
])
def test_bad_rows_name_their_line(tmp_path, row, message):
    good = "c,i2,2024-01-01,2024-01-31,1,USD,,,false,false\n"
    with pytest.raises(ValueError, match=message):
        read_ledger_csv(write(tmp_path, HEADER + good + row + "\n"))


def test_reads_the_shared_dataset(ar_ledger):
    assert len(ar_ledger) == 1930
    assert ar_ledger["customer_id"].nunique() == 100
    assert ar_ledger["invoice_id"].is_unique
    assert (ar_ledger["amount_minor"] > 0).all()
    late = (ar_ledger["settled_on"] > ar_ledger["due_on"]).mean()
    assert late == pytest.approx(726 / 1930)  # the README rounds this to "35%"
