"""Refunds from the staff console: admins only, reviewed then confirmed, in full or in part,
through `payments.refunds.refund_payment`, audit-logged; a stale confirmation refunds
nothing."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from payments.gateway import gateway
from portal.extensions import db
from portal.models import AuditEvent, Invoice, Payment
from tests.factories import csrf_token, make_debtor, make_invoice, sign_in
from tests.payments.helpers import pay


def stripe_refunded(intent_id: str) -> list[int]:
    return sorted(r.amount for r in gateway().client.v1.refunds.list(
        {"payment_intent": intent_id}).data)


@pytest.fixture
def paid(stripe_app, client):
    debtor = make_debtor(name="Beatriz Souza", email="bia@example.com", locale="pt_BR")
    make_invoice(debtor, external_id="INV-AUG", issued_on=date(2026, 8, 1),
                 amount_minor=60_000_00, currency="BRL")
    make_invoice(debtor, external_id="INV-SEP", issued_on=date(2026, 9, 1),
                 amount_minor=40_000_00, currency="BRL")
    db.session.commit()
    sign_in(client, debtor)
    response, _ = pay(client)
    assert response.status_code == 200
    return db.session.scalar(select(Payment))


def _review(staff, payment, **form):
    token = csrf_token(staff, f"/staff/payments/{payment.id}")
    return staff.post(f"/staff/payments/{payment.id}/refund",
                      data={"csrf_token": token, **form}), token


def test_an_admin_refunds_part_of_a_payment_after_reviewing_it(paid, staff_client):
    admin, me = staff_client("admin")
    page = admin.get(f"/staff/payments/{paid.id}").get_data(as_text=True)
    assert "Refund to the card" in page and "R$100,000.00" in page
    review, token = _review(admin, paid, scope="part", amount="30000.00")
    body = review.get_data(as_text=True)
    assert review.status_code == 200 and "Confirm refund" in body
    assert "Refund R$30,000.00 of payment" in body and "INV-SEP: R$30,000.00" in body
    assert stripe_refunded(paid.stripe_payment_intent_id) == []  # nothing refunded yet
    done = admin.post(f"/staff/payments/{paid.id}/refund", data={
        "csrf_token": token, "confirm": "1", "amount_minor": "3000000",
        "expected_refunded": "0"})
    assert done.status_code == 302
    assert stripe_refunded(paid.stripe_payment_intent_id) == [30_000_00]
    db.session.expire_all()
    payment = db.session.get(Payment, paid.id)
    assert (payment.status, payment.refunded_minor) == ("partially_refunded", 30_000_00)
    invoice = db.session.scalar(select(Invoice).where(Invoice.external_id == "INV-SEP"))
    assert (invoice.status, invoice.balance_minor) == ("open", 30_000_00)
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "payment.refund"))
    assert (audit.actor_type, audit.actor_id) == ("staff", str(me.id))
    assert audit.after["amount_minor"] == 30_000_00
    follow = admin.get(done.headers["Location"]).get_data(as_text=True)
    assert "Refunded R$30,000.00 to the card" in follow

    # The same confirmation sent again (a double click, a stale tab) refunds nothing more.
    again = admin.post(f"/staff/payments/{paid.id}/refund", data={
        "csrf_token": token, "confirm": "1", "amount_minor": "3000000",
        "expected_refunded": "0"})
    assert again.status_code == 409
    assert "changed since you reviewed" in again.get_data(as_text=True)
    assert stripe_refunded(paid.stripe_payment_intent_id) == [30_000_00]


def test_an_admin_refunds_everything_left(paid, staff_client):
    admin, _ = staff_client("admin")
    review, token = _review(admin, paid, scope="full")
    assert "Refund everything left of payment" in review.get_data(as_text=True)
    done = admin.post(f"/staff/payments/{paid.id}/refund", data={
        "csrf_token": token, "confirm": "1", "amount_minor": "10000000",
        "expected_refunded": "0"})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Payment, paid.id).status == "refunded"
    assert stripe_refunded(paid.stripe_payment_intent_id) == [100_000_00]
    page = admin.get(f"/staff/payments/{paid.id}").get_data(as_text=True)
    assert "Refund to the card" not in page


@pytest.mark.parametrize("amount", ["0", "100000.01", "abc", "-5"])
def test_an_amount_outside_what_is_left_is_refused(paid, staff_client, amount):
    admin, _ = staff_client("admin")
    review, _ = _review(admin, paid, scope="part", amount=amount)
    assert review.status_code == 400
    assert "Enter an amount between R$0.01 and R$100,000.00." in review.get_data(as_text=True)
    assert stripe_refunded(paid.stripe_payment_intent_id) == []


@pytest.mark.parametrize("role", ["agent", "analyst"])
def test_only_admins_refund(paid, staff_client, role):
    staff, _ = staff_client(role)
    page = staff.get(f"/staff/payments/{paid.id}")
    assert page.status_code == 200 and "Refund to the card" not in page.get_data(as_text=True)
    token = csrf_token(staff, f"/staff/payments/{paid.id}")
    refused = staff.post(f"/staff/payments/{paid.id}/refund", data={
        "csrf_token": token, "confirm": "1", "amount_minor": "100", "expected_refunded": "0"})
    assert refused.status_code == 403
    assert stripe_refunded(paid.stripe_payment_intent_id) == []


def test_debtors_and_strangers_cannot_reach_payment_pages(paid, client, app):
    assert client.get(f"/staff/payments/{paid.id}").status_code == 302  # to the sign-in
    assert app.test_client().get("/staff/payments/issues").status_code == 302
