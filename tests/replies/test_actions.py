"""Acting on understood replies through the shared operations (both databases)."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Dispute, Invoice, PromiseToPay, ReminderPause
from replies.actions import act, target_invoice
from replies.understand import understand
from tests.factories import make_debtor, make_invoice

TODAY = date(2026, 11, 26)  # a Thursday


@pytest.fixture
def debtor(app):
    debtor = make_debtor(name="Camila Restrepo", locale="es_CO")
    make_invoice(debtor, external_id="F-OLD", issued_on=TODAY - timedelta(days=60),
                 due_on=TODAY - timedelta(days=30), amount_minor=300_000_00)
    make_invoice(debtor, external_id="F-NEW", issued_on=TODAY - timedelta(days=10),
                 due_on=TODAY + timedelta(days=20), amount_minor=100_000_00)
    db.session.commit()
    return debtor


def run(debtor, text, reply_model, channel="sms"):
    found = understand(text, TODAY, reply_model)
    outcome = act(debtor, found, TODAY, channel=channel, source="reply:test")
    db.session.commit()
    return found, outcome


def test_the_oldest_open_invoice_is_the_target(debtor):
    assert target_invoice(debtor).external_id == "F-OLD"


def test_promise_is_recorded_and_pauses_reminders(debtor, reply_model):
    found, outcome = run(debtor, "les pago el viernes 200 mil", reply_model)
    assert (outcome.action, outcome.handled) == ("promise_recorded", True)
    promise = db.session.get(PromiseToPay, outcome.promise_id)
    assert promise.promised_on == date(2026, 11, 27)
    assert (promise.amount_minor, promise.currency) == (200_000_00, "COP")
    assert promise.invoice.external_id == "F-OLD"
    pause = db.session.scalar(select(ReminderPause).where(ReminderPause.debtor_id == debtor.id))
    assert (pause.until, pause.reason) == (date(2026, 11, 27), "promise")
    assert "27 de noviembre de 2026" in outcome.answer and "200.000" in outcome.answer


def test_promise_without_amount_is_for_the_balance(debtor, reply_model):
    _found, outcome = run(debtor, "puedo pagar el 15", reply_model)
    promise = db.session.get(PromiseToPay, outcome.promise_id)
    assert (promise.promised_on, promise.amount_minor) == (date(2026, 12, 15), 300_000_00)


def test_promise_beyond_the_window_is_not_recorded_and_offers_a_plan(debtor, reply_model):
    _found, outcome = run(debtor, "le pago el 10 de marzo", reply_model)
    assert outcome.action == "promise_outside_window" and outcome.promise_id is None
    assert db.session.scalar(select(PromiseToPay)) is None
    assert "next=/plans" in outcome.answer


def test_promise_without_a_date_asks_for_one_and_waits_for_a_person(debtor, reply_model):
    _found, outcome = run(debtor, "cuando me paguen les pago", reply_model)
    assert (outcome.action, outcome.handled) == ("asked_for_date", False)
    assert "¿Qué día" in outcome.answer


def test_already_paid_pauses_a_few_days_and_asks_for_the_receipt(debtor, reply_model):
    _found, outcome = run(debtor, "ya pagué ayer por nequi", reply_model)
    assert (outcome.action, outcome.handled) == ("verify_payment", False)
    pause = db.session.scalar(select(ReminderPause))
    assert (pause.until, pause.reason) == (TODAY + timedelta(days=3), "payment_claim")
    invoice = db.session.scalar(select(Invoice).where(Invoice.external_id == "F-OLD"))
    assert "dispute%3Freason%3Dalready_paid" in outcome.answer or \
        f"/invoices/{invoice.id}/dispute" in outcome.answer


def test_hardship_offers_plans_from_the_policy(debtor, reply_model):
    _found, outcome = run(debtor, "me quedé sin trabajo, no tengo plata", reply_model)
    assert (outcome.action, outcome.handled) == ("plan_offered", True)
    assert "pagos de" in outcome.answer and "next=/plans" in outcome.answer


def test_dispute_opens_a_dispute_on_the_invoice(debtor, reply_model):
    _found, outcome = run(debtor, "esa deuda no es mía, yo no compré nada", reply_model)
    dispute = db.session.get(Dispute, outcome.dispute_id)
    assert dispute.invoice.external_id == "F-OLD" and dispute.invoice.disputed
    assert "nada" in dispute.message and outcome.handled


@pytest.mark.parametrize(("text", "expected"), [
    ("¿cuánto debo?", "$\u00a0400.000"),
    ("cuando vence?", "16 de diciembre de 2026"),
    ("como puedo pagar?", "/l/"),
])
def test_questions_are_answered_from_the_account(debtor, reply_model, text, expected):
    _found, outcome = run(debtor, text, reply_model)
    assert (outcome.action, outcome.handled) == ("answered", True)
    assert expected in outcome.answer


def test_unclear_replies_go_to_a_person_honestly(debtor, reply_model):
    _found, outcome = run(debtor, "asdf qwerty zxcv", reply_model)
    assert (outcome.action, outcome.handled) == ("needs_person", False)
    assert "una persona" in outcome.answer


def test_a_question_about_two_things_goes_to_a_person(debtor, reply_model):
    _found, outcome = run(debtor, "cuanto debo y cuando vence?", reply_model)
    assert outcome.action == "needs_person"


def test_other_is_left_for_staff_without_an_answer(debtor, reply_model):
    _found, outcome = run(debtor, "ok gracias", reply_model)
    assert (outcome.action, outcome.handled, outcome.answer) == ("needs_person", False, None)


def test_a_link_in_an_answer_lands_on_the_page_it_names(debtor, client):
    from portal.debtor.identity import set_identity
    from portal.links import issue_token
    from tests.portal.conftest import csrf_from

    set_identity(debtor, "4821", kind="document_last4")
    token = issue_token(debtor, "account")
    db.session.commit()
    url = f"/l/{token}?next=/plans"
    response = client.post(url, data={"csrf_token": csrf_from(client, url), "answer": "4821"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/plans")
    again = client.get(f"/l/{token}?next=https://evil.example/")
    assert again.headers["Location"].endswith("/account")


def test_the_receipt_link_opens_the_dispute_form_on_already_paid(debtor, client):
    from tests.factories import sign_in

    invoice = target_invoice(debtor)
    sign_in(client, debtor)
    page = client.get(f"/invoices/{invoice.id}/dispute?reason=already_paid")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'value="already_paid" selected' in html or 'selected value="already_paid"' in html, \
        html[html.find("<select"):html.find("</select>")]
