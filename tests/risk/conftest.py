"""Fixtures for the risk tests: hand-made canonical ledgers and the shared dataset."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from risk.ledger import CANONICAL_COLUMNS

AR_DATASET = (
    Path(__file__).resolve().parents[3] / "shared/datasets/ar_late_payments_2012-01_2013-06.csv"
)


def ledger(*rows) -> pd.DataFrame:
    """A canonical ledger from compact rows.

    Each row: (customer_id, invoice_id, issued, due, settled or None, amount_minor) and
    optionally a dict of overrides (paid_minor, disputed, paperless, currency).
    """
    records = []
    for row in rows:
        customer, invoice, issued, due, settled, amount, *extra = row
        record = {
            "customer_id": customer, "invoice_id": invoice,
            "issued_on": pd.Timestamp(issued), "due_on": pd.Timestamp(due),
            "settled_on": pd.Timestamp(settled) if settled else pd.NaT,
            "amount_minor": amount, "paid_minor": amount if settled else 0,
            "currency": "EUR", "disputed": False, "paperless": False,
        }
        record.update(extra[0] if extra else {})
        records.append(record)
    frame = pd.DataFrame.from_records(records, columns=list(CANONICAL_COLUMNS))
    return frame.astype({"amount_minor": "int64", "paid_minor": "int64", "disputed": bool,
                         "paperless": bool, "settled_on": "datetime64[ns]"})


@pytest.fixture
def make_ledger():
    return ledger


@pytest.fixture(scope="session")
def ar_dataset() -> Path:
    if not AR_DATASET.exists():
        pytest.skip(f"shared dataset not present at {AR_DATASET}")
    return AR_DATASET


@pytest.fixture(scope="session")
def ar_ledger(ar_dataset):
    from risk.ledger import read_ledger_csv

    return read_ledger_csv(ar_dataset)
