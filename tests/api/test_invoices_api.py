"""Invoices through the API follow the CSV import's rules: one code path."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import CreditNote, Debtor, Invoice, Payment
from tests.api.conftest import INVOICE


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_upsert_one_invoice_creates_debtor_and_updates(app, api):
    created = api.post("/api/v1/invoices", json=INVOICE)
    assert created.status_code == 201, created.get_json()
    out = created.get_json()
    assert out["amount_minor"] == 150000 and out["currency"] == "USD"
    assert out["balance_minor"] == 150000 and out["status"] == "open"
    assert out["customer_id"] == "C-1"
    assert count(Debtor) == 1

    updated = api.post("/api/v1/invoices", json={**INVOICE, "amount_minor": 120000})
    assert updated.status_code == 200 and updated.get_json()["amount_minor"] == 120000
    assert count(Invoice) == 1


def test_paid_date_settles_and_records_the_payment_once(app, api):
    body = {**INVOICE, "paid_date": "2026-10-20"}
    assert api.post("/api/v1/invoices", json=body).get_json()["status"] == "paid"
    assert api.post("/api/v1/invoices", json=body).status_code == 200
    payment = db.session.scalar(select(Payment))
    assert count(Payment) == 1 and payment.external_ref == "import:F-1001"
    assert payment.amount_minor == 150000 and payment.method == "imported"


def test_zero_decimal_currency_keeps_minor_units(app, api):
    out = api.post("/api/v1/invoices", json={**INVOICE, "currency": "JPY",
                                             "amount_minor": 5000}).get_json()
    assert out["amount_minor"] == 5000 and out["currency"] == "JPY"


def test_bulk_is_all_or_nothing_with_errors_per_item(app, api):
    items = [{**INVOICE, "invoice_id": f"F-{n}"} for n in range(5)]
    items[3] = {**items[3], "due_date": "2026-09-01"}
    response = api.post("/api/v1/invoices/bulk", json={"invoices": items})
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert [e["field"] for e in errors] == ["invoices.3"]
    assert "due_date" in errors[0]["message"]
    assert count(Invoice) == 0 and count(Debtor) == 0


def test_bulk_takes_a_thousand_and_refuses_more(app, api):
    items = [{**INVOICE, "invoice_id": f"F-{n:04d}", "customer_id": f"C-{n % 50}"}
             for n in range(1000)]
    response = api.post("/api/v1/invoices/bulk", json={"invoices": items})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["created"] == 1000 and count(Invoice) == 1000
    again = api.post("/api/v1/invoices/bulk", json={"invoices": items[:10]}).get_json()
    assert again["created"] == 0 and again["updated"] == 10
    too_many = api.post("/api/v1/invoices/bulk",
                        json={"invoices": items + [{**INVOICE, "invoice_id": "X"}]})
    assert too_many.status_code == 422
    assert too_many.get_json()["errors"][0]["field"] == "invoices"


def test_bulk_dry_run_checks_and_writes_nothing(app, api):
    items = [{**INVOICE, "invoice_id": f"F-{n}"} for n in range(3)]
    checked = api.post("/api/v1/invoices/bulk", json={"invoices": items, "dry_run": True})
    assert checked.status_code == 200
    assert checked.get_json() == {"dry_run": True, "created": 3, "updated": 0, "invoices": []}
    assert count(Invoice) == 0 and count(Debtor) == 0
    bad = api.post("/api/v1/invoices/bulk", json={"invoices": [{**INVOICE, "amount_minor": 0}],
                                                  "dry_run": True})
    assert bad.status_code == 422


def test_schema_errors_name_the_item_and_field(app, api):
    items = [INVOICE, {**INVOICE, "amount_minor": "12.50"}]
    errors = api.post("/api/v1/invoices/bulk", json={"invoices": items}).get_json()["errors"]
    assert errors == [{"field": "invoices.1.amount_minor", "message": "Not a valid integer."}]


def test_cancel_and_credit_notes(app, api):
    api.post("/api/v1/invoices", json=INVOICE)
    api.post("/api/v1/invoices", json={**INVOICE, "invoice_id": "F-2"})
    cancelled = api.post("/api/v1/invoices/F-1001/cancel")
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"

    note = {"credit_note_id": "NC-1", "amount_minor": 50000, "reason": "discount"}
    credited = api.post("/api/v1/invoices/F-2/credit-notes", json=note)
    assert credited.status_code == 201, credited.get_json()
    assert credited.get_json()["invoice"]["amount_minor"] == 100000
    again = api.post("/api/v1/invoices/F-2/credit-notes", json=note)
    assert again.get_json()["invoice"]["amount_minor"] == 100000
    assert count(CreditNote) == 1
    reused = api.post("/api/v1/invoices/F-2/credit-notes", json={**note, "amount_minor": 1})
    assert reused.status_code == 409
    too_much = api.post("/api/v1/invoices/F-2/credit-notes",
                        json={"credit_note_id": "NC-2", "amount_minor": 100001})
    assert too_much.status_code == 422
    assert too_much.get_json()["errors"][0]["field"] == "amount_minor"
    whole = api.post("/api/v1/invoices/F-2/credit-notes",
                     json={"credit_note_id": "NC-3", "amount_minor": 100000})
    assert whole.get_json()["invoice"]["status"] == "cancelled"


def test_cancel_refuses_a_partly_paid_invoice(app, api):
    api.post("/api/v1/invoices", json=INVOICE)
    payment = {"customer_id": "C-1", "reference": "TR-1", "amount_minor": 1000,
               "currency": "USD", "method": "transfer"}
    assert api.post("/api/v1/payments", json=payment).status_code == 201
    refused = api.post("/api/v1/invoices/F-1001/cancel")
    assert refused.status_code == 409
    assert db.session.scalar(select(Invoice)).status == "open"
