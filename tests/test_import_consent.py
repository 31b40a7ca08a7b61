"""Consent dates per channel in the ledger CSV: parsed, validated, imported onto the debtor."""

from datetime import date

import pytest

from portal.ledger.importer import import_ledger
from portal.ledger.rows import RowError, parse_row
from portal.models import Debtor

TODAY = date(2026, 11, 22)
BASE = {"customer_id": "C1", "invoice_id": "F1", "issue_date": "2026-01-01",
        "due_date": "2026-01-31", "amount": "100.00", "currency": "USD"}


def test_consent_columns_are_dates_or_empty():
    row = parse_row({**BASE, "consent_email": "2025-03-01", "consent_sms": "",
                     "consent_whatsapp": "2026-11-22"}, "USD", TODAY)
    assert (row.consent_email, row.consent_sms, row.consent_whatsapp) == (
        date(2025, 3, 1), None, date(2026, 11, 22))


@pytest.mark.parametrize("value, words", [("yes", "ISO date"), ("2026-13-01", "real date"),
                                          ("2026-12-01", "in the future")])
def test_bad_consent_values_are_explained(value, words):
    with pytest.raises(RowError, match=words):
        parse_row({**BASE, "consent_sms": value}, "USD", TODAY)


def test_import_records_consent_dates_and_empty_keeps_them(db, tmp_path):
    header = ("customer_id,invoice_id,issue_date,due_date,amount,currency,consent_email,"
              "consent_sms\n")
    path = tmp_path / "ledger.csv"
    path.write_text(header + "C1,F1,2026-01-01,2026-01-31,100.00,USD,2025-03-01,\n",
                    encoding="utf-8")
    import_ledger(str(path), today=TODAY)
    debtor = db.session.query(Debtor).filter_by(external_id="C1").one()
    assert (debtor.consent_email_at, debtor.consent_sms_at, debtor.consent_whatsapp_at) == (
        date(2025, 3, 1), None, None)
    path.write_text(header + "C1,F2,2026-02-01,2026-02-28,10.00,USD,,2026-05-05\n",
                    encoding="utf-8")
    import_ledger(str(path), today=TODAY)
    db.session.expire_all()
    debtor = db.session.query(Debtor).filter_by(external_id="C1").one()
    assert (debtor.consent_email_at, debtor.consent_sms_at) == (date(2025, 3, 1),
                                                                date(2026, 5, 5))
