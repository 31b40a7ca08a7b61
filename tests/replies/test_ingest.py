"""Inbound messages: matching, storing once, stop words, the unknown-sender queue, the CLI."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import func, select

from alerts.outbox import dispatch
from portal.extensions import db
from portal.models import AuditEvent, Conversation, InboundMessage, Message
from replies.ingest import IngestError, ingest_reply
from replies.stopwords import is_stop
from replies.tokens import debtor_id_from_address, reply_address
from tests.factories import make_debtor


def test_reply_address_is_signed_and_names_its_debtor(app):
    debtor = make_debtor()
    address = reply_address(debtor.id)
    assert address.startswith(f"reply+d{debtor.id}-")
    assert debtor_id_from_address(address) == debtor.id
    assert debtor_id_from_address(f'"Saldo" <{address.upper()}>') == debtor.id
    forged = address.replace(f"d{debtor.id}-", f"d{debtor.id + 1}-")
    assert debtor_id_from_address(forged) is None
    assert debtor_id_from_address("someone@example.com") is None


def test_a_reply_to_the_token_address_lands_in_that_debtors_conversation(app):
    debtor = make_debtor(email="ana@example.com")
    db.session.commit()
    inbound = ingest_reply("email", "Someone Else <other@example.org>", "Pagaré el 15",
                           to=reply_address(debtor.id))
    assert inbound.debtor_id == debtor.id and inbound.matched_by == "token"
    conversation = db.session.get(Conversation, inbound.conversation_id)
    assert conversation.debtor_id == debtor.id and conversation.status == "open"
    again = ingest_reply("sms", debtor.phone, "hola")
    assert again.conversation_id == conversation.id and again.matched_by == "contact"


def test_matching_by_contact_on_file_then_unknown_queue(app):
    debtor = make_debtor(email="Carla@Example.com", phone="+57 300 555 1234")
    db.session.commit()
    by_email = ingest_reply("email", "carla@example.com", "hola")
    by_whatsapp = ingest_reply("whatsapp", "whatsapp:+573005551234", "hola")
    assert by_email.debtor_id == by_whatsapp.debtor_id == debtor.id
    stranger = ingest_reply("sms", "+1 555 0100", "who is this?")
    stranger_again = ingest_reply("sms", "+15550100", "hello?")
    assert stranger.debtor_id is None and stranger.matched_by == "unknown"
    assert stranger_again.conversation_id == stranger.conversation_id
    assert db.session.get(Conversation, stranger.conversation_id).sender_key == "sms:+15550100"


def test_a_provider_retry_is_stored_once(app):
    make_debtor(phone="+573001112233")
    db.session.commit()
    first = ingest_reply("sms", "+573001112233", "ok", provider_id="SM123")
    assert first.duplicate is False
    second = ingest_reply("sms", "+573001112233", "ok", provider_id="SM123")
    assert second.id == first.id and second.duplicate is True
    assert db.session.scalar(select(func.count()).select_from(InboundMessage)) == 1


def test_concurrent_retries_are_stored_once(app):
    """Two threads deliver the same provider message at once (a webhook retried while the
    first delivery is still running): one row, no error."""
    make_debtor(phone="+573001119999")
    db.session.commit()
    results, errors = [], []
    barrier = threading.Barrier(4)

    def deliver():
        with app.app_context():
            try:
                barrier.wait()
                results.append(ingest_reply("sms", "+573001119999", "ya pagué",
                                            provider_id="SMrace").id)
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(set(results)) == 1
    assert db.session.scalar(select(func.count()).select_from(InboundMessage)) == 1
    assert db.session.scalar(select(func.count()).select_from(Conversation)) == 1


@pytest.mark.parametrize("text", ["STOP", "stop.", "Baja", "SAIR", "parar!", "Cancelar",
                                  "UNSUBSCRIBE", "dar de baja", "Não quero", "stop\n> quoted"])
def test_stop_words(text):
    assert is_stop(text)


@pytest.mark.parametrize("text", ["please don't stop", "pagaré el 15", "", "STOP calling me"])
def test_not_stop_words(text):
    assert not is_stop(text)


def test_stop_opts_out_of_that_channel_and_confirms_through_the_outbox(app):
    debtor = make_debtor(phone="+573002223344", allow_sms=True, allow_email=True)
    reminder = Message(debtor_id=debtor.id, channel="sms", template="pre_due", rule="pre_2",
                       reason="t", locale="es", dedupe_key="pending-sms", status="pending",
                       send_at=debtor.created_at)
    db.session.add(reminder)
    db.session.commit()
    inbound = ingest_reply("sms", debtor.phone, "BAJA", provider_id="SMstop")
    db.session.refresh(debtor)
    assert inbound.action == "opt_out"
    assert debtor.allow_sms is False and debtor.allow_email is True
    assert db.session.get(Message, reminder.id).status == "cancelled"
    confirmation = db.session.scalar(select(Message).where(
        Message.kind == "opt_out_confirmation"))
    assert confirmation.channel == "sms" and confirmation.status == "pending"
    assert "preferences.channel_opt_out" in db.session.scalars(select(AuditEvent.action)).all()
    counts = dispatch()
    assert counts["sent"] == 1
    assert db.session.get(Message, confirmation.id).status == "sent"
    # A second STOP changes nothing and sends no second confirmation.
    ingest_reply("sms", debtor.phone, "STOP", provider_id="SMstop2")
    assert db.session.scalar(select(func.count()).select_from(Message).where(
        Message.kind == "opt_out_confirmation")) == 1


def test_bad_input_is_refused_and_nothing_stored(app):
    with pytest.raises(IngestError):
        ingest_reply("fax", "x", "y")
    with pytest.raises(IngestError):
        ingest_reply("sms", "+573001", "   ")
    assert db.session.scalar(select(func.count()).select_from(InboundMessage)) == 0


def test_cli_ingest_and_list(app, runner):
    debtor = make_debtor(email="luis@example.com")
    db.session.commit()
    result = runner.invoke(args=["replies", "ingest", "--channel", "email", "--sender",
                                 "someone@else.org", "--text", "Pagaré el 15",
                                 "--to", reply_address(debtor.id), "--json"])
    assert result.exit_code == 0, result.output
    stored = json.loads(result.output)
    assert stored["debtor_id"] == debtor.id and stored["channel"] == "email"
    listed = runner.invoke(args=["replies", "list", "--unread", "--json"])
    rows = [json.loads(line) for line in listed.output.splitlines()]
    assert [r["text"] for r in rows] == ["Pagaré el 15"]
    assert {"debtor_id", "channel", "text", "received_at", "conversation_id"} <= set(rows[0])
    bad = runner.invoke(args=["replies", "ingest", "--channel", "email", "--sender", "a@b.c",
                              "--text", " "])
    assert bad.exit_code != 0 and "no text" in bad.output
