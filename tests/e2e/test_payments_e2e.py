"""Paying on a phone (360×740) in real Chromium against localstripe: one invoice with the
card Element, then a payment plan for the rest, with autopay on a saved card."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from portal.extensions import db
from portal.links import issue_token
from portal.models import Invoice, Payment, PaymentPlan, StripeEvent
from tests.e2e.conftest import layout_problems, shot
from tests.factories import make_invoice
from tests.payments.conftest import (  # noqa: F401  (fixtures)
    WEBHOOK_SECRET,
    ledger_invariant,
    localstripe,
    localstripe_server,
    stripe_app,
)
from tests.portal.conftest import FACT, identified_debtor, today_bogota

pytestmark = pytest.mark.e2e


def _seed():
    today = today_bogota()
    debtor = identified_debtor(name="Lucía Gómez", email="lucia@example.com")
    first = make_invoice(debtor, issued_on=today - timedelta(days=40),
                         due_on=today - timedelta(days=10), amount_minor=350_000_00,
                         description="Servicio septiembre")
    make_invoice(debtor, issued_on=today - timedelta(days=5), due_on=today + timedelta(days=20),
                 amount_minor=900_000_00, description="Servicio noviembre")
    token = issue_token(debtor, "account")
    ref = first.external_id
    db.session.commit()
    db.session.remove()
    return token, ref


def _fill_card(page, number: str) -> None:
    card = page.locator(".card-element")
    card.get_by_placeholder("number").fill(number)
    card.get_by_placeholder("exp_month").fill("12")
    card.get_by_placeholder("exp_year").fill("34")
    card.get_by_placeholder("cvc").fill("123")
    card.get_by_placeholder("postal_code").fill("11001")


def _check_layout(page, name: str) -> None:
    shot(page, name)
    assert layout_problems(page) == [], name


def test_pay_an_invoice_then_set_up_a_plan_on_a_phone(
        stripe_app, localstripe, live_server, phone_page):  # noqa: F811 - imported fixtures
    requests.post(f"{localstripe}/_config/webhooks/e2e", timeout=5, data={
        "url": f"{live_server}/webhooks/stripe", "secret": WEBHOOK_SECRET}).raise_for_status()
    token, invoice_ref = _seed()
    page = phone_page
    page.goto(f"{live_server}/l/{token}")
    page.get_by_label("Últimos 4 dígitos de tu número de documento").fill(FACT)
    page.get_by_role("button", name="Continuar").click()
    page.wait_for_url("**/account")

    page.goto(f"{live_server}/pay?invoice={invoice_ref}")
    assert "$\u00a0350.000" in page.inner_text("main")
    _fill_card(page, "4242424242424242")
    _check_layout(page, "pay-01-form")
    page.get_by_role("button", name="Pagar", exact=True).click()
    page.wait_for_url("**/pay/*")
    success = page.get_by_test_id("payment-success").inner_text()
    assert "Recibimos tu pago" in success and "$\u00a0350.000" in success
    _check_layout(page, "pay-02-success")

    page.goto(f"{live_server}/plans")
    page.get_by_test_id("offer-3-monthly-COP").check()
    _fill_card(page, "4242424242424242")
    _check_layout(page, "pay-03-plans")
    page.get_by_role("button", name="Aceptar plan").click()
    page.wait_for_url("**/plans/*")
    assert "Activo" in page.get_by_test_id("plan-status").inner_text()
    assert "Pagado" in page.get_by_test_id("installment-1").inner_text()
    _check_layout(page, "pay-04-plan")

    db.session.remove()
    paid = db.session.scalar(select(Invoice).where(Invoice.external_id == invoice_ref))
    assert paid.status == "paid"
    plan = db.session.scalar(select(PaymentPlan).where(PaymentPlan.status == "active"))
    assert [i.status for i in plan.installments] == ["paid", "pending", "pending"]
    assert sum(p.amount_minor for p in db.session.scalars(select(Payment).where(
        Payment.status == "succeeded"))) == 350_000_00 + 300_000_00
    deadline = time.monotonic() + 10
    while not db.session.scalar(select(StripeEvent)) and time.monotonic() < deadline:
        time.sleep(0.2)
        db.session.remove()
    assert db.session.scalar(select(StripeEvent)) is not None  # localstripe's webhook came


def test_a_declined_card_then_three_d_secure_on_a_phone(
        stripe_app, localstripe, live_server, phone_page):  # noqa: F811 - imported fixtures
    token, invoice_ref = _seed()
    page = phone_page
    page.goto(f"{live_server}/l/{token}")
    page.get_by_label("Últimos 4 dígitos de tu número de documento").fill(FACT)
    page.get_by_role("button", name="Continuar").click()
    page.wait_for_url("**/account")

    page.goto(f"{live_server}/pay?invoice={invoice_ref}")
    _fill_card(page, "4000000000000341")
    page.get_by_role("button", name="Pagar", exact=True).click()
    error = page.locator(".pay-error")
    error.wait_for(state="visible")
    assert "rechazada" in error.inner_text()
    _check_layout(page, "pay-05-declined")

    _fill_card(page, "4000002760003184")
    page.get_by_role("button", name="Pagar", exact=True).click()
    for _ in range(2):  # the bank's challenge: once to save the card, once to pay
        page.get_by_role("button", name="Complete authentication").click()
    page.wait_for_url("**/pay/*")
    assert "Recibimos tu pago" in page.get_by_test_id("payment-success").inner_text()

    db.session.remove()
    statuses = sorted(p.status for p in db.session.scalars(select(Payment)))
    assert statuses == ["failed", "succeeded"]
    paid = db.session.scalar(select(Invoice).where(Invoice.external_id == invoice_ref))
    assert paid.status == "paid"
