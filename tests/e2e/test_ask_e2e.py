""""Ask us" on a phone (360×740) in real Chromium, in es-CO, pt-BR and en-US: the balance
question is answered with the balance, and "I can pay on the 15th" records a promise for the
coming 15th; then the same without JavaScript (a plain form)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from payments.money import format_money
from portal.extensions import db
from portal.links import issue_token
from portal.models import PromiseToPay
from replies.dates import next_day_of_month
from tests.e2e.conftest import CHROMIUM, PHONE, layout_problems, shot
from tests.factories import make_invoice
from tests.portal.conftest import FACT, identified_debtor, today_bogota

pytestmark = pytest.mark.e2e

CASES = {
    "es_CO": dict(currency="COP", amount=793_400_00, tz="America/Bogota",
                  identity="Últimos 4 dígitos de tu número de documento", go="Continuar",
                  box="Tu pregunta", ask="Preguntar", balance="¿cuánto debo?",
                  promise="puedo pagar el 15", noted="no te enviaremos recordatorios"),
    "pt_BR": dict(currency="BRL", amount=1_983_50, tz="America/Sao_Paulo",
                  identity="Últimos 4 dígitos do seu número de documento", go="Continuar",
                  box="Sua pergunta", ask="Perguntar", balance="quanto eu devo?",
                  promise="posso pagar dia 15", noted="não enviaremos lembretes"),
    "en_US": dict(currency="USD", amount=412_75, tz="America/New_York",
                  identity="Last 4 digits of your document number", go="Continue",
                  box="Your question", ask="Ask", balance="how much do I owe?",
                  promise="I can pay on the 15th", noted="will not send you reminders"),
}


def _seed(locale: str, case: dict) -> tuple[int, str]:
    today = today_bogota()
    debtor = identified_debtor(name="Alex Rivera", locale=locale, timezone=case["tz"])
    make_invoice(debtor, external_id=f"ASK-{locale}", issued_on=today - timedelta(days=20),
                 due_on=today + timedelta(days=8), amount_minor=case["amount"],
                 currency=case["currency"])
    token = issue_token(debtor, "account")
    debtor_id = debtor.id
    db.session.commit()
    db.session.remove()
    return debtor_id, token


def _sign_in(page, base: str, token: str, case: dict) -> None:
    page.goto(f"{base}/l/{token}")
    page.get_by_label(case["identity"]).fill(FACT)
    page.get_by_role("button", name=case["go"]).click()
    page.wait_for_url("**/account")


@pytest.mark.parametrize("locale", list(CASES))
def test_ask_us_answers_the_balance_and_records_a_promise(app, live_server, browser, locale):
    case = CASES[locale]
    debtor_id, token = _seed(locale, case)
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                  device_scale_factor=2, locale=locale.replace("_", "-"),
                                  timezone_id=case["tz"])
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    try:
        _sign_in(page, live_server, token, case)
        owed = format_money(case["amount"], case["currency"], locale)

        page.get_by_label(case["box"]).fill(case["balance"])
        page.get_by_role("button", name=case["ask"], exact=True).click()
        answer = page.get_by_test_id("ask-answer")
        answer.wait_for()
        assert owed in answer.inner_text()
        assert page.url.endswith("/account")  # answered in place, with JavaScript
        shot(page, f"ask-{locale}-1-balance")
        assert layout_problems(page) == []

        page.get_by_label(case["box"]).fill(case["promise"])
        page.get_by_role("button", name=case["ask"], exact=True).click()
        page.wait_for_function(
            "t => ((document.querySelector('[data-testid=ask-answer]') || {}).innerText || '')"
            ".includes(t)",
            arg=case["noted"])
        shot(page, f"ask-{locale}-2-promise")
        db.session.remove()
        promise = db.session.scalar(select(PromiseToPay).where(
            PromiseToPay.debtor_id == debtor_id))
        assert promise is not None and promise.status == "open"
        assert promise.promised_on == next_day_of_month(today_bogota(), 15) or \
            promise.promised_on == next_day_of_month(today_bogota() + timedelta(days=1), 15)
        assert promise.amount_minor == case["amount"]
        assert errors == []
    finally:
        context.close()


def test_ask_us_works_as_a_plain_form_without_javascript(app, live_server, browser):
    case = CASES["es_CO"]
    _, token = _seed("es_CO", case)
    context = browser.new_context(viewport=PHONE, is_mobile=True, java_script_enabled=False,
                                  locale="es-CO", timezone_id=case["tz"])
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        _sign_in(page, live_server, token, case)
        page.get_by_label(case["box"]).fill(case["balance"])
        page.get_by_role("button", name=case["ask"], exact=True).click()
        page.wait_for_url("**/ask")
        owed = format_money(case["amount"], case["currency"], "es_CO")
        assert owed in page.get_by_test_id("ask-answer").inner_text()
        shot(page, "ask-es_CO-3-no-javascript")
        assert layout_problems(page) == []
        assert CHROMIUM  # the same Debian Chromium as every e2e test
    finally:
        context.close()
