"""Debtor pages say how to reach a person, and that way works: the contact form lands in the
staff inbox, in the debtor's own conversation."""

from __future__ import annotations

from sqlalchemy import select

from portal.models import Conversation, InboundMessage
from tests.factories import sign_in
from tests.portal.conftest import post_form


def test_every_page_says_how_to_reach_a_person(client):
    page = client.get("/link", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Responde cualquier recordatorio" in page and 'href="/contact"' in page


def test_a_signed_in_debtor_writes_to_the_inbox(client, db, debtor):
    sign_in(client, debtor)
    page = client.get("/contact").get_data(as_text=True)
    assert "Habla con una persona" in page
    response = post_form(client, "/contact", {"text": "¿Puedo pagar en dos partes?"},
                         form_url="/contact")
    assert response.status_code == 200 and "Recibimos tu mensaje" in response.get_data(
        as_text=True)
    [inbound] = db.session.scalars(select(InboundMessage)).all()
    assert (inbound.debtor_id, inbound.channel, inbound.matched_by) == (debtor.id, "portal",
                                                                          "portal")
    conversation = db.session.get(Conversation, inbound.conversation_id)
    assert conversation.debtor_id == debtor.id and conversation.status == "open"


def test_strangers_are_told_to_reply_or_sign_in(client, db):
    page = client.get("/contact").get_data(as_text=True)
    assert "/link" in page and "<textarea" not in page
    assert post_form(client, "/contact", {"text": "hola"}, form_url="/contact").status_code \
        == 200
    assert db.session.scalar(select(InboundMessage.id)) is None
