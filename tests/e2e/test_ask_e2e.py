""""Ask us" on a phone (360×740) in real Chromium: the balance, then a promise, by asking."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.links import issue_token
from portal.models import InboundMessage, PromiseToPay
from replies.dates import next_day_of_month
from tests.e2e.conftest import layout_problems, shot
from tests.factories import make_invoice
from tests.portal.conftest import FACT, identified_debtor, today_bogota

pytestmark = pytest.mark.e2e


def _seed():
    today = today_bogota()
    debtor = identified_debtor(name="Camila Restrepo", phone="+573001112233")
    invoice = make_invoice(debtor, issued_on=today - timedelta(days=40),
                           due_on=today - timedelta(days=10), amount_minor=2_000_000_00,
                           description="Servicio octubre")
    token = issue_token(debtor, "account")
    ids = (debtor.id, invoice.id)
    db.session.commit()
    db.session.remove()
    return ids, token


def test_ask_us_answers_the_balance_and_records_a_promise(app, live_server, phone_page):
    (debtor_id, invoice_id), token = _seed()
    page = phone_page
    errors = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.goto(f"{live_server}/l/{token}")
    page.get_by_label("Últimos 4 dígitos de tu número de documento").fill(FACT)
    page.get_by_role("button", name="Continuar").click()
    page.wait_for_url("**/account")

    page.get_by_label("Tu pregunta").fill("¿cuánto debo?")
    page.get_by_role("button", name="Enviar").click()
    first = page.get_by_test_id("ask-answer").first
    first.wait_for()
    assert "$\u00a02.000.000" in first.inner_text()
    assert page.url.endswith("/account")  # answered in place, with JavaScript

    page.get_by_label("Tu pregunta").fill("puedo pagar el 15")
    page.get_by_role("button", name="Enviar").click()
    second = page.get_by_test_id("ask-answer").nth(1)
    second.wait_for()
    promised_on = next_day_of_month(today_bogota(), 15)
    shot(page, "ask-01-answers")
    assert layout_problems(page) == []
    assert errors == []

    db.session.remove()
    promise = db.session.scalar(select(PromiseToPay).where(
        PromiseToPay.invoice_id == invoice_id, PromiseToPay.status == "open"))
    assert promise is not None and promise.promised_on == promised_on
    assert promise.amount_minor == 2_000_000_00
    assert str(promised_on.day) in second.inner_text()
    asked = db.session.scalars(select(InboundMessage.text).where(
        InboundMessage.debtor_id == debtor_id, InboundMessage.channel == "portal")).all()
    assert sorted(asked) == ["puedo pagar el 15", "¿cuánto debo?"]
