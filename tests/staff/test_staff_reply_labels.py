"""What Saldo understood, in the staff inbox: shown per message (handled or for a person),
and corrected by agents into labelled examples for the next training (both databases)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEvent, Conversation, ReplyLabel, ReplyUnderstanding
from replies.ingest import ingest_reply
from replies.registry import correction_rows
from tests.factories import make_debtor, make_invoice
from tests.staff.conftest import post_form


def _promise_reply():
    debtor = make_debtor(name="Lucía Pérez", phone="+573005550101")
    make_invoice(debtor, amount_minor=500_000_00, due_on=date(2026, 12, 20))
    db.session.commit()
    inbound = ingest_reply("sms", debtor.phone, "les pago el viernes 200 mil",
                           provider_id="SM-label-1")
    return debtor, inbound


def test_the_thread_shows_what_was_understood_and_that_it_was_handled(staff_client):
    client, _ = staff_client("agent")
    _, inbound = _promise_reply()
    conversation = db.session.get(Conversation, inbound.conversation_id)
    assert conversation.status == "done"  # nothing for a person in the open queue
    assert "Lucía Pérez" not in client.get("/staff/inbox").get_data(as_text=True)
    assert "Lucía Pérez" in client.get("/staff/inbox?view=done").get_data(as_text=True)
    page = client.get(f"/staff/inbox/{conversation.id}").get_data(as_text=True)
    assert "Understood as <strong>promise to pay</strong>" in page
    assert "handled automatically: promise recorded, reminders paused" in page
    assert "200.000" in page  # Saldo's confirmation, in the thread


def test_a_correction_becomes_one_labelled_example_and_is_audited(staff_client):
    client, staff = staff_client("agent")
    _, inbound = _promise_reply()
    url = f"/staff/inbox/{inbound.conversation_id}/messages/{inbound.id}/label"
    thread = f"/staff/inbox/{inbound.conversation_id}"
    assert post_form(client, url, {"intent": "hardship"}, token_from=thread).status_code == 302
    assert post_form(client, url, {"intent": "question"}, token_from=thread).status_code == 302
    [label] = db.session.scalars(select(ReplyLabel)).all()
    assert (label.intent, label.predicted_intent, label.language) == ("question", "promise",
                                                                      "es")
    assert label.staff_user_id == staff.id and label.inbound_message_id == inbound.id
    found = db.session.scalar(select(ReplyUnderstanding))
    assert found.corrected_intent == "question" and found.corrected_by_id == staff.id
    assert {"text": "les pago el viernes 200 mil", "intent": "question", "language": "es",
            "today": label.received_on.isoformat()} in correction_rows()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "inbox.reply_labelled")) == 2
    page = client.get(thread).get_data(as_text=True)
    assert "corrected; Saldo read promise to pay" in page


def test_an_unknown_intent_is_refused_and_saves_nothing(staff_client):
    client, _ = staff_client("agent")
    _, inbound = _promise_reply()
    url = f"/staff/inbox/{inbound.conversation_id}/messages/{inbound.id}/label"
    response = post_form(client, url, {"intent": "bribe"},
                         token_from=f"/staff/inbox/{inbound.conversation_id}",
                         follow_redirects=True)
    assert "Choose one of the listed intents." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ReplyLabel)) == 0


def test_only_agents_label_and_only_messages_of_that_conversation(staff_client):
    analyst, _ = staff_client("analyst")
    _, inbound = _promise_reply()
    url = f"/staff/inbox/{inbound.conversation_id}/messages/{inbound.id}/label"
    assert post_form(analyst, url, {"intent": "other"}, token_from="/staff/mail").status_code \
        == 403
    agent, _ = staff_client("agent")
    other = make_debtor()
    db.session.commit()
    elsewhere = ingest_reply("sms", other.phone, "hola")
    wrong = f"/staff/inbox/{elsewhere.conversation_id}/messages/{inbound.id}/label"
    assert post_form(agent, wrong, {"intent": "other"},
                     token_from=f"/staff/inbox/{elsewhere.conversation_id}").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(ReplyLabel)) == 0
