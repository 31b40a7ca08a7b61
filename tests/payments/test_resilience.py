"""Stripe down or slow, and two payments racing for the same invoices."""

from __future__ import annotations

import socket
import threading
from datetime import date

import pytest
import requests
from sqlalchemy import func, select

from payments.records import apply_success
from portal.extensions import db
from portal.models import Invoice, Payment, PaymentAllocation
from tests.conftest import free_port
from tests.factories import make_debtor, make_invoice, sign_in
from tests.payments.helpers import create_card, csrf_token, start_payment


def _debtor():
    debtor = make_debtor(locale="es_CO")
    invoice = make_invoice(debtor, issued_on=date(2026, 9, 1), amount_minor=80_000_00)
    db.session.commit()
    return debtor, invoice


def _point_stripe_at(app, base: str) -> None:
    app.config["STRIPE_API_BASE"] = base
    app.extensions.pop("saldo_stripe", None)


@pytest.fixture
def black_hole():
    """A port that accepts connections and never answers (Stripe timing out)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


def test_stripe_unreachable_says_try_again_and_records_nothing_paid(stripe_app, client):
    debtor, invoice = _debtor()
    sign_in(client, debtor)
    token = csrf_token(client)
    _point_stripe_at(stripe_app, f"http://127.0.0.1:{free_port()}")
    response = start_payment(client, token)
    assert response.status_code == 503
    assert response.get_json()["retry"] is True
    assert "de nuevo" in response.get_json()["error"]  # es: "…inténtalo de nuevo…"
    assert db.session.scalar(select(func.count()).select_from(Payment).where(
        Payment.status == "succeeded")) == 0
    db.session.refresh(invoice)
    assert invoice.paid_minor == 0


def test_timeout_while_charging_then_retry_charges_exactly_once(stripe_app, client,
                                                                black_hole, localstripe):
    debtor, invoice = _debtor()
    sign_in(client, debtor)
    token = csrf_token(client)
    body = start_payment(client, token).get_json()
    card = create_card("4242424242424242")
    stripe_app.config["STRIPE_TIMEOUT"] = 1
    _point_stripe_at(stripe_app, black_hole)
    first = client.post(body["confirm"], data={"payment_method": card},
                        headers={"X-CSRFToken": token})
    assert first.status_code == 503 and first.get_json()["retry"] is True
    payment = db.session.scalar(select(Payment))
    assert payment.status == "pending" and payment.idempotency_key
    db.session.refresh(invoice)
    assert invoice.paid_minor == 0
    _point_stripe_at(stripe_app, localstripe)
    second = client.post(body["confirm"], data={"payment_method": card},
                         headers={"X-CSRFToken": token})
    assert second.get_json()["status"] == "succeeded"
    third = client.post(body["confirm"], data={"payment_method": card},
                        headers={"X-CSRFToken": token})
    assert third.get_json()["status"] == "succeeded"
    intents = requests.get(f"{localstripe}/v1/payment_intents", timeout=5,
                           headers={"Authorization": "Bearer sk_test_saldo"}).json()["data"]
    assert [i["status"] for i in intents].count("succeeded") == 1
    db.session.refresh(invoice)
    assert invoice.status == "paid"


def test_two_payments_racing_for_one_invoice_never_over_allocate(app, db):
    debtor, invoice = _debtor()
    payments = [Payment(debtor=debtor, amount_minor=80_000_00, currency="COP", method="card",
                        status="pending", refunded_minor=0) for _ in range(4)]
    db.session.add_all(payments)
    db.session.commit()
    ids = [p.id for p in payments]
    invoice_id = invoice.id
    barrier = threading.Barrier(len(ids))
    errors: list[BaseException] = []

    def settle(payment_id: int) -> None:
        with app.app_context():
            try:
                payment = db.session.get(Payment, payment_id)
                db.session.commit()
                barrier.wait(timeout=10)
                apply_success(payment, f"pi_race_{payment_id}")
                db.session.commit()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=settle, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    db.session.remove()
    invoice = db.session.get(Invoice, invoice_id)
    assert (invoice.status, invoice.paid_minor) == ("paid", 80_000_00)
    assert db.session.scalar(select(func.sum(PaymentAllocation.amount_minor))) == 80_000_00
    settled = db.session.scalars(select(Payment).order_by(Payment.id)).all()
    assert sorted(p.excess_minor for p in settled) == [0] + [80_000_00] * 3
    assert all(p.status in ("succeeded", "refunded") for p in settled)
