""""Ask us" on the account page: a plain form, JSON for ask.js, the same understanding and
actions as replies, an honest hand-off, and nothing a stranger can use (both databases)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from payments.money import format_money
from portal.extensions import db
from portal.models import Conversation, InboundMessage, PromiseToPay, ReplyUnderstanding
from replies.dates import next_day_of_month
from tests.factories import make_invoice
from tests.portal.conftest import post_form, today_bogota


def _with_invoice(debtor, amount_minor=793_400_00):
    today = today_bogota()
    make_invoice(debtor, external_id="F-ASK", issued_on=today - timedelta(days=20),
                 due_on=today + timedelta(days=10), amount_minor=amount_minor)
    db.session.commit()


def ask(client, question: str, **kw):
    return post_form(client, "/ask", {"question": question}, form_url="/account", **kw)


def test_the_account_page_offers_the_box_with_a_label(signed_client, debtor):
    _with_invoice(debtor)
    page = signed_client.get("/account").get_data(as_text=True)
    assert 'action="/ask"' in page and '<label for="question">' in page
    assert "js/ask.js" in page


def test_how_much_do_i_owe_is_answered_with_the_balance_without_javascript(signed_client,
                                                                          debtor):
    _with_invoice(debtor)
    response = ask(signed_client, "¿cuánto debo?")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert format_money(793_400_00, "COP", "es_CO") in page
    assert '<a href="/account">Pagar ahora</a>' in page
    found = db.session.scalar(select(ReplyUnderstanding))
    assert (found.intent, found.action, found.handled) == ("question", "answered", True)
    assert db.session.get(InboundMessage, found.inbound_message_id).channel == "portal"


def test_a_promise_is_recorded_from_puedo_pagar_el_15_as_json(signed_client, debtor):
    _with_invoice(debtor)
    response = ask(signed_client, "puedo pagar el 15", headers={"Accept": "application/json"})
    data = response.get_json()
    assert response.status_code == 200 and data["handled"] is True
    promise = db.session.scalar(select(PromiseToPay))
    assert promise.promised_on == next_day_of_month(today_bogota(), 15)
    assert promise.amount_minor == 793_400_00
    assert format_money(793_400_00, "COP", "es_CO") in data["answer"]
    # The portal answers on the page: nothing is queued to be sent.
    assert db.session.scalar(select(ReplyUnderstanding)).answer_message_id is None


def test_an_unclear_question_is_handed_to_a_person_and_says_so(signed_client, debtor):
    _with_invoice(debtor)
    data = ask(signed_client, "hola, me pueden llamar a mi otro numero mañana?",
               headers={"Accept": "application/json"}).get_json()
    assert data["handled"] is False
    assert "una persona" in data["answer"]
    inbound = db.session.scalar(select(InboundMessage))
    assert inbound.read_at is None  # waits in the staff inbox
    assert db.session.get(Conversation, inbound.conversation_id).status == "open"


def test_the_answer_is_escaped(signed_client, debtor):
    _with_invoice(debtor)
    page = ask(signed_client, "<script>alert(1)</script> cuanto debo").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_an_empty_question_is_refused_and_stores_nothing(signed_client, debtor):
    response = ask(signed_client, "   ")
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(InboundMessage)) == 0


def test_strangers_and_forged_posts_get_nothing(client, signed_client, debtor, app):
    _with_invoice(debtor)
    anonymous = app.test_client()
    assert anonymous.post("/ask", data={"question": "cuanto debo"}).status_code in (302, 400)
    forged = signed_client.post("/ask", data={"question": "cuanto debo"})  # no CSRF token
    assert forged.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(InboundMessage)) == 0


def test_a_dispute_is_opened_on_the_only_open_invoice(signed_client, debtor):
    from portal.models import Dispute

    _with_invoice(debtor)
    data = ask(signed_client, "esa factura no es mia, nunca contrate ese servicio",
               headers={"Accept": "application/json"}).get_json()
    dispute = db.session.scalar(select(Dispute))
    assert dispute is not None and dispute.invoice.external_id == "F-ASK"
    assert "F-ASK" in data["answer"]


def test_with_several_open_invoices_the_debtor_chooses_which_to_dispute(signed_client, debtor):
    from portal.models import Dispute

    _with_invoice(debtor)
    today = today_bogota()
    make_invoice(debtor, external_id="F-ASK-2", issued_on=today - timedelta(days=5),
                 due_on=today + timedelta(days=25), amount_minor=100_000_00)
    db.session.commit()
    data = ask(signed_client, "esa factura no es mia, nunca contrate ese servicio",
               headers={"Accept": "application/json"}).get_json()
    assert db.session.scalar(select(func.count()).select_from(Dispute)) == 0
    assert data["handled"] is True and 'href="/dispute"' in data["html"]


def test_another_process_writing_meanwhile_does_not_lose_the_answer(signed_client, debtor,
                                                                    app, monkeypatch):
    """The scheduler commits (a webhook delivery, say) while the question is being
    understood: the answer is still given and recorded, and the other write still lands."""
    import threading
    import time

    from sqlalchemy import text

    from replies import respond as respond_module

    _with_invoice(debtor)
    engine = db.engine
    done: list = []
    real = respond_module.understand_inbound

    def understand_while_another_writes(inbound, person):
        found = real(inbound, person)

        def write() -> None:
            with engine.begin() as conn:
                conn.execute(text("UPDATE invoice SET description = 'servicio' "
                                  "WHERE debtor_id = :id"), {"id": person.id})
            done.append(True)

        other = threading.Thread(target=write)
        other.start()
        other.join(timeout=0.5)  # on SQLite it waits for our write lock; it must not matter
        return found

    monkeypatch.setattr(respond_module, "understand_inbound", understand_while_another_writes)
    data = ask(signed_client, "¿cuánto debo?", headers={"Accept": "application/json"}).get_json()
    assert data["handled"] is True
    assert format_money(793_400_00, "COP", "es_CO") in data["answer"]
    deadline = time.monotonic() + 15
    while not done and time.monotonic() < deadline:
        time.sleep(0.05)
    assert done == [True]
    assert db.session.scalar(select(func.count()).select_from(ReplyUnderstanding)) == 1
