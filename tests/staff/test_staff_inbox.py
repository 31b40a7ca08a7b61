"""The staff inbox: conversations, unread counts, assignment, done, replies via the outbox."""

from __future__ import annotations

from email.utils import parseaddr

from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, Conversation, InboundMessage, Message
from replies.ingest import ingest_reply
from replies.tokens import reply_address
from tests.factories import deliver, make_debtor
from tests.staff.conftest import post_form


def _conversation_with_reply(text="No tengo el dinero aún, pagaré el 15", **debtor_fields):
    debtor = make_debtor(**debtor_fields)
    db.session.commit()
    inbound = ingest_reply("email", debtor.email, text, to=reply_address(debtor.id),
                           provider_id=f"<in-{debtor.id}@mail.example.com>")
    return debtor, db.session.get(Conversation, inbound.conversation_id)


def test_inbox_lists_conversations_with_unread_counts(staff_client):
    client, _ = staff_client("agent")
    debtor, conversation = _conversation_with_reply(name="Ana Gómez")
    ingest_reply("sms", "+1 555 0100", "who is this")
    page = client.get("/staff/inbox").get_data(as_text=True)
    assert "Ana Gómez" in page and "pagaré el 15" in page and "Unknown sender" in page
    assert 'class="badge unread" title="unread">2<' in page  # the nav badge
    thread = client.get(f"/staff/inbox/{conversation.id}").get_data(as_text=True)
    assert "pagaré el 15" in thread and "Español" in thread
    assert db.session.scalar(select(InboundMessage.read_at).where(
        InboundMessage.conversation_id == conversation.id)) is not None
    unknown = client.get("/staff/inbox?view=unknown").get_data(as_text=True)
    assert "sms:+15550100" in unknown and "Ana Gómez" not in unknown


def test_analysts_cannot_open_the_inbox(staff_client):
    client, _ = staff_client("analyst")
    assert client.get("/staff/inbox").status_code == 403


def test_agent_replies_in_the_debtors_thread_through_the_outbox(app, staff_client,
                                                                smtp_server):
    client, agent = staff_client("agent")
    debtor, conversation = _conversation_with_reply(locale="pt_BR", email="joao@example.com")
    url = f"/staff/inbox/{conversation.id}"
    response = post_form(client, f"{url}/reply", {"text": "Obrigado, anotamos o dia 15.",
                                                   "subject": ""}, token_from=url)
    assert response.status_code == 302
    [queued] = db.session.scalars(select(Message).where(Message.kind == "reply",
                                                        Message.sent_by_id == agent.id)).all()
    assert (queued.status, queued.channel, queued.sent_by_id) == ("pending", "email", agent.id)
    assert smtp_server.messages == []  # the web request only queued it
    deliver()  # with Saldo's own automatic answer to the debtor's reply, if it gave one
    [mail] = [m for m in smtp_server.messages
              if "Obrigado, anotamos" in m.get_body(("plain",)).get_content()]
    assert mail["To"] == "joao@example.com"
    assert mail["In-Reply-To"] == f"<in-{debtor.id}@mail.example.com>"
    assert parseaddr(mail["Reply-To"])[1] == reply_address(debtor.id)
    assert mail["Subject"] == "Sua conta com Saldo"  # the debtor's language
    assert "Obrigado, anotamos o dia 15." in mail.get_body(("plain",)).get_content()
    thread = client.get(url).get_data(as_text=True)
    assert "Obrigado, anotamos o dia 15." in thread
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "inbox.replied" in actions


def test_assign_and_done_are_audited_and_done_is_conditional(staff_client, make_staff):
    client, agent = staff_client("agent")
    other = make_staff("agent", email="other@saldo.test")
    _, conversation = _conversation_with_reply()
    url = f"/staff/inbox/{conversation.id}"
    post_form(client, f"{url}/assign", {"staff_id": str(other.id)}, token_from=url)
    db.session.refresh(conversation)
    assert conversation.assigned_to_id == other.id
    mine = client.get("/staff/inbox?view=mine").get_data(as_text=True)
    assert "No conversations here." in mine
    post_form(client, f"{url}/assign", {"staff_id": "me"}, token_from=url)
    db.session.refresh(conversation)
    assert conversation.assigned_to_id == agent.id
    done = post_form(client, f"{url}/status", {"status": "done"}, token_from=url)
    again = post_form(client, f"{url}/status", {"status": "done"}, token_from=url)
    assert done.status_code == again.status_code == 302
    db.session.refresh(conversation)
    assert conversation.status == "done"
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.action.like("inbox.%"))).all()
    assert actions.count("inbox.assigned") == 2 and actions.count("inbox.done") == 1
    # A new message reopens it.
    ingest_reply("email", db.session.get(Conversation, conversation.id).debtor_id and
                 "x@example.org", "¿hola?", to=reply_address(conversation.debtor_id))
    db.session.refresh(conversation)
    assert conversation.status == "open"


def test_reply_needs_a_known_debtor_and_text(staff_client):
    client, _ = staff_client("agent")
    stranger = ingest_reply("sms", "+15550100", "hi")
    _, conversation = _conversation_with_reply()
    url = f"/staff/inbox/{conversation.id}"
    empty = post_form(client, f"{url}/reply", {"text": "  "}, token_from=url)
    assert empty.status_code == 302
    assert "Write the reply first." in client.get(url).get_data(as_text=True)
    surl = f"/staff/inbox/{stranger.conversation_id}"
    post_form(client, f"{surl}/reply", {"text": "hola"}, token_from=surl)
    assert db.session.scalar(select(Message.id).where(
        Message.kind == "reply", Message.sent_by_id.is_not(None))) is None
    no_csrf = client.post(f"{url}/reply", data={"text": "hola"})
    assert no_csrf.status_code == 400


def test_saved_replies_by_language(staff_client):
    client, _ = staff_client("agent")
    ok = post_form(client, "/staff/inbox/snippets", {"title": "Fecha anotada", "locale": "es",
                                                      "body": "Gracias, anotamos la fecha."})
    assert ok.status_code == 302
    dup = post_form(client, "/staff/inbox/snippets", {"title": "Fecha anotada",
                                                       "locale": "es", "body": "x"})
    assert dup.status_code == 400
    _, conversation = _conversation_with_reply(locale="es_CO")
    page = client.get(f"/staff/inbox/{conversation.id}").get_data(as_text=True)
    assert "Fecha anotada" in page and "Gracias, anotamos la fecha." in page
    _, other = _conversation_with_reply(locale="pt_BR")
    assert "Fecha anotada" not in client.get(f"/staff/inbox/{other.id}").get_data(as_text=True)


def test_the_conversation_shows_on_the_debtor_timeline(staff_client):
    client, _ = staff_client("agent")
    debtor, _ = _conversation_with_reply(text="Pagaré el viernes")
    page = client.get(f"/staff/debtors/{debtor.id}").get_data(as_text=True)
    assert "Reply by email" in page and "Pagaré el viernes" in page
    opened = client.get(f"/staff/debtors/{debtor.id}/conversation")
    assert opened.status_code == 302 and "/staff/inbox/" in opened.headers["Location"]


def test_two_agents_marking_done_at_once_change_it_once(app, make_staff):
    import threading

    from replies.inbox import set_status

    agents = [make_staff("agent", email=f"a{i}@saldo.test").id for i in range(4)]
    _, conversation = _conversation_with_reply()
    conversation_id = conversation.id
    barrier, results, errors = threading.Barrier(4), [], []

    def finish(staff_id: int) -> None:
        from portal.models import StaffUser

        with app.app_context():
            try:
                item = db.session.get(Conversation, conversation_id)
                staff = db.session.get(StaffUser, staff_id)
                db.session.commit()
                barrier.wait(timeout=10)
                results.append(set_status(item, "done", staff))
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - asserted below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=finish, args=(a,)) for a in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors and sorted(results) == [False, False, False, True]
    assert db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.action == "inbox.done")).all() == ["inbox.done"]
