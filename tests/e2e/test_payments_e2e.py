"""Paying on a phone (360×740) in real Chromium against localstripe (payments.devstripe):
one invoice with the card Element, then a payment plan for the rest, with autopay on a saved
card; and every test card in es_CO, pt_BR and en_US, each 3-D Secure card with exactly one
bank check. Screenshots are kept in tests/e2e/artifacts/."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from portal.extensions import db
from portal.links import issue_token
from portal.models import Invoice, Payment, PaymentPlan, StripeEvent
from tests.e2e.conftest import PHONE, layout_problems, shot
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


# Counts localstripe's 3-D Secure challenges across page loads (sessionStorage survives the
# redirect to the result page).
COUNT_CHALLENGES = """
new MutationObserver((changes) => {
  for (const change of changes) {
    for (const node of change.addedNodes) {
      if (node.nodeType === 1 && [...node.querySelectorAll('button')].some(
          (b) => b.innerText === 'Complete authentication')) {
        sessionStorage.setItem('challenges',
                               String(Number(sessionStorage.getItem('challenges') || 0) + 1));
      }
    }
  }
}).observe(document, { childList: true, subtree: true });
"""


def reset_challenges(page) -> None:
    page.evaluate("sessionStorage.setItem('challenges', '0')")


def challenges(page) -> int:
    return int(page.evaluate("sessionStorage.getItem('challenges') || '0'"))


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
    # Recommended: 3 × 300.000, the fewest instalments that fit her usual payment (350.000).
    assert page.get_by_test_id("offer-3-monthly-COP").is_checked()
    _fill_card(page, "4242424242424242")
    _check_layout(page, "pay-03-plans")
    page.get_by_role("button", name="Aceptar plan").click()
    page.wait_for_url("**/plans/*")
    assert "Activo" in page.get_by_test_id("plan-status").inner_text()
    assert "Pagada" in page.get_by_test_id("installment-1").inner_text()  # la cuota
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
    page.context.add_init_script(COUNT_CHALLENGES)
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
    reset_challenges(page)
    page.get_by_role("button", name="Pagar", exact=True).click()
    page.get_by_role("button", name="Complete authentication").click()  # the bank, once
    page.wait_for_url("**/pay/*")
    assert challenges(page) == 1
    assert "Recibimos tu pago" in page.get_by_test_id("payment-success").inner_text()

    db.session.remove()
    statuses = sorted(p.status for p in db.session.scalars(select(Payment)))
    assert statuses == ["failed", "succeeded"]
    paid = db.session.scalar(select(Invoice).where(Invoice.external_id == invoice_ref))
    assert paid.status == "paid"


WALK = {  # what each language says (our sentences; never Stripe's English)
    "es_CO": {"pay": "Pagar", "plan": "Aceptar plan", "declined": "Tu tarjeta fue rechazada",
              "check": "La verificación de tu banco no se completó",
              "paid": "Recibimos tu pago", "active": "Activo", "first": "Pagada"},
    "pt_BR": {"pay": "Pagar", "plan": "Aceitar plano", "declined": "Seu cartão foi recusado",
              "check": "A verificação do seu banco não foi concluída",
              "paid": "Recebemos seu pagamento", "active": "Ativo", "first": "Paga"},
    "en_US": {"pay": "Pay", "plan": "Accept plan", "declined": "Your card was declined",
              "check": "Your bank's check was not completed",
              "paid": "Your payment was received", "active": "Active", "first": "Paid"},
}
STRIPE_ENGLISH = ("The latest attempt", "authentication failed",
                  "The provided PaymentMethod has failed authentication")


def _pay_with(page, number: str, button: str) -> None:
    _fill_card(page, number)
    reset_challenges(page)
    page.get_by_role("button", name=button, exact=True).click()


def _error_text(page) -> str:
    error = page.locator(".pay-error")
    error.wait_for(state="visible")
    text = error.inner_text()
    assert not any(english in text for english in STRIPE_ENGLISH), text
    return text


@pytest.mark.parametrize("locale", list(WALK))
def test_every_test_card_in_each_language_with_one_bank_check(
        stripe_app, localstripe, live_server, browser, locale):  # noqa: F811
    words = WALK[locale]
    today = today_bogota()
    debtor = identified_debtor(name="Ana Souza", locale=locale)
    invoice = make_invoice(debtor, issued_on=today - timedelta(days=40),
                           due_on=today - timedelta(days=10), amount_minor=350_000_00)
    make_invoice(debtor, issued_on=today - timedelta(days=5), due_on=today + timedelta(days=20),
                 amount_minor=900_000_00)
    token, ref = issue_token(debtor, "account"), invoice.external_id
    db.session.commit()
    db.session.remove()
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                  device_scale_factor=2, locale=locale.replace("_", "-"))
    context.add_init_script(COUNT_CHALLENGES)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server}/l/{token}")
        page.locator("input[name=answer]").fill(FACT)
        page.locator("input[name=answer]").press("Enter")
        page.wait_for_url("**/account")
        page.goto(f"{live_server}/pay?invoice={ref}")

        _pay_with(page, "4000000000000002", words["pay"])  # declined
        assert words["declined"] in _error_text(page) and challenges(page) == 0
        _check_layout(page, f"cards-{locale}-01-declined")

        _pay_with(page, "4000002760003184", words["pay"])  # 3-D Secure, the debtor fails it
        page.get_by_role("button", name="Fail authentication").click()
        assert words["check"] in _error_text(page) and challenges(page) == 1
        _check_layout(page, f"cards-{locale}-02-check-failed")

        _pay_with(page, "4000002760003184", words["pay"])  # 3-D Secure, passed: one check
        page.get_by_role("button", name="Complete authentication").click()
        page.wait_for_url("**/pay/*")
        assert words["paid"] in page.get_by_test_id("payment-success").inner_text()
        assert challenges(page) == 1
        _check_layout(page, f"cards-{locale}-03-paid")

        page.goto(f"{live_server}/plans")
        _check_layout(page, f"cards-{locale}-04-plans")
        height = page.evaluate("document.documentElement.scrollHeight")
        assert height <= 2 * PHONE["height"], f"plan picker is {height}px tall"
        shown = page.locator("fieldset > label.offer").count()
        assert 1 <= shown <= 4
        _pay_with(page, "4000002760003184", words["plan"])  # first instalment + card: one check
        page.get_by_role("button", name="Complete authentication").click()
        page.wait_for_url("**/plans/*")
        assert challenges(page) == 1
        assert words["active"] in page.get_by_test_id("plan-status").inner_text()
        assert words["first"] in page.get_by_test_id("installment-1").inner_text()
        _check_layout(page, f"cards-{locale}-05-plan")
    finally:
        context.close()

    db.session.remove()
    plan = db.session.scalar(select(PaymentPlan).where(PaymentPlan.status == "active"))
    assert plan.installments[0].status == "paid" and plan.stripe_payment_method_id
    assert sorted(p.status for p in db.session.scalars(select(Payment))) == [
        "failed", "failed", "succeeded", "succeeded"]
