"""Payments made outside Saldo go through the same recorder and allocation as card ones."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEvent, Invoice, Payment
from tests.api.conftest import INVOICE

PAYMENT = {"customer_id": "C-1", "reference": "TR-77", "amount_minor": 150000,
           "currency": "USD", "method": "transfer", "received_on": "2026-11-02"}


def test_transfer_settles_the_invoice_and_is_recorded_once(app, api):
    api.post("/api/v1/invoices", json=INVOICE)
    api.post("/api/v1/invoices", json={**INVOICE, "invoice_id": "F-2", "due_date": "2026-11-30"})
    response = api.post("/api/v1/payments", json=PAYMENT)
    assert response.status_code == 201, response.get_json()
    out = response.get_json()
    assert out["status"] == "succeeded" and out["reference"] == "TR-77"
    assert out["allocations"] == [{"invoice_id": "F-1001", "amount_minor": 150000}]
    invoice = db.session.scalar(select(Invoice).where(Invoice.external_id == "F-1001"))
    assert invoice.status == "paid" and invoice.settled_on.isoformat() == "2026-11-02"
    again = api.post("/api/v1/payments", json=PAYMENT)
    assert again.status_code == 200 and again.get_json()["id"] == out["id"]
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 1
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "payment.succeeded")) is not None


def test_chosen_invoice_first_and_overpayment_refused(app, api):
    api.post("/api/v1/invoices", json=INVOICE)
    api.post("/api/v1/invoices", json={**INVOICE, "invoice_id": "F-2", "due_date": "2026-11-30"})
    cash = {**PAYMENT, "method": "cash", "reference": "R-1", "amount_minor": 1000,
            "invoice_id": "F-2"}
    out = api.post("/api/v1/payments", json=cash).get_json()
    assert out["allocations"] == [{"invoice_id": "F-2", "amount_minor": 1000}]
    too_much = api.post("/api/v1/payments", json={**PAYMENT, "reference": "R-2",
                                                   "amount_minor": 300000})
    assert too_much.status_code == 422
    assert too_much.get_json()["errors"][0]["field"] == "amount_minor"
    unknown = api.post("/api/v1/payments", json={**PAYMENT, "method": "bitcoin"})
    assert unknown.status_code == 422 and unknown.get_json()["errors"][0]["field"] == "method"


def test_payments_are_listed_for_a_customer(app, api):
    api.post("/api/v1/invoices", json=INVOICE)
    api.post("/api/v1/payments", json={**PAYMENT, "amount_minor": 100})
    listed = api.get("/api/v1/payments?customer_id=C-1").get_json()
    assert [p["reference"] for p in listed["data"]] == ["TR-77"]
    assert api.get("/api/v1/payments?customer_id=C-2").get_json()["data"] == []
    one = api.get(f"/api/v1/payments/{listed['data'][0]['id']}")
    assert one.status_code == 200 and one.get_json()["amount_minor"] == 100
