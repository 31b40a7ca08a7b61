"""One COP amount from the billing system's CSV to the charge at Stripe, unchanged whatever
Babel's locale data says about peso decimals (Babel 2.19 says 0; ISO 4217 and Stripe say 2)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from payments.gateway import gateway
from portal.extensions import db
from portal.ledger.importer import import_ledger
from portal.models import Debtor, Invoice, Payment
from tests.factories import sign_in
from tests.payments.helpers import pay

CSV = ("customer_id,invoice_id,issue_date,due_date,amount,currency,customer_name,email,locale\n"
       "C-77,F-77,2026-10-01,2026-12-15,793400.00,COP,Ana,ana@example.com,es_CO\n")


@pytest.mark.parametrize("babel_digits", [0, 2])
def test_cop_csv_to_database_to_page_to_stripe(stripe_app, client, tmp_path, monkeypatch,
                                                babel_digits):
    import babel.numbers

    monkeypatch.setattr(babel.numbers, "get_currency_precision", lambda code: babel_digits)
    path = tmp_path / "ledger.csv"
    path.write_text(CSV)
    report = import_ledger(str(path), today=date(2026, 11, 22))
    assert report.errors == []
    invoice = db.session.scalar(select(Invoice).where(Invoice.external_id == "F-77"))
    assert (invoice.amount_minor, invoice.currency) == (79_340_000, "COP")

    debtor = db.session.scalar(select(Debtor).where(Debtor.external_id == "C-77"))
    sign_in(client, debtor)
    page = client.get("/account").get_data(as_text=True)
    assert "$\u00a0793.400" in page
    assert "79.340.000" not in page and "7.934" not in page

    response, _ = pay(client)
    assert response.get_json()["status"] == "succeeded"
    payment = db.session.scalar(select(Payment))
    assert payment.amount_minor == 79_340_000
    intent = gateway().client.v1.payment_intents.retrieve(payment.stripe_payment_intent_id)
    assert (intent.amount, intent.currency) == (79_340_000, "cop")
