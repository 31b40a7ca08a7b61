"""GET /api/v1/conversations and /conversations/{id}: read scope, pages, both directions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from alerts.enqueue import enqueue
from portal.extensions import db
from portal.models import Conversation, Message
from portal.webhooks import EVENTS
from portal.webhooks.endpoints import create_endpoint
from portal.webhooks.events import emit
from replies.ingest import ingest_reply
from tests.api.conftest import ApiClient, new_key
from tests.factories import make_debtor

T0 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_automatic_answers(monkeypatch):
    """These tests read conversations as written here: Saldo's own answers to the replies
    (``replies.respond``) would add outbound messages the assertions do not list."""
    from replies import handlers

    monkeypatch.setattr(handlers, "HANDLERS", [handlers.stop_words])


def conversations_of_three():
    """Ana wrote twice and got a staff reply; Bruno wrote once; an unknown number wrote."""
    ana = make_debtor(external_id="C-ANA", email="ana@example.com")
    bruno = make_debtor(external_id="C-BRU", email="bruno@example.com")
    db.session.commit()
    first = ingest_reply("email", "ana@example.com", "Can I pay in two parts?",
                         received_at=T0, provider_id="<a1@x>")
    enqueue(ana, "reply", "email", reason="staff_reply", subject="Re: two parts",
            body="Yes, from the portal.", send_at=T0 + timedelta(hours=1))
    db.session.commit()
    second = ingest_reply("email", "ana@example.com", "Thanks", received_at=T0 + timedelta(
        hours=2), provider_id="<a2@x>")
    ingest_reply("email", "bruno@example.com", "Paid yesterday",
                 received_at=T0 + timedelta(days=1), provider_id="<b1@x>")
    ingest_reply("sms", "+15550000000", "who is this?", received_at=T0 + timedelta(days=2),
                 provider_id="SM9")
    return ana, bruno, first, second


def test_no_key_is_401_and_a_key_without_read_is_403(app, client):
    conversations_of_three()
    for url in ("/api/v1/conversations", "/api/v1/conversations/1"):
        assert client.get(url).status_code == 401
        assert client.get(url, headers={"Authorization": "Bearer sk_nope"}).status_code == 401
        write_only = ApiClient(client, new_key("write", f"writer{len(url)}"))
        response = write_only.get(url)
        assert response.status_code == 403
        assert response.headers["Content-Type"].startswith("application/problem+json")


def test_conversations_page_by_cursor_and_filter(app, read_only_api):
    ana, bruno, _, _ = conversations_of_three()
    body = read_only_api.get("/api/v1/conversations?limit=2").get_json()
    assert [c["customer_id"] for c in body["data"]] == ["C-ANA", "C-BRU"]
    assert body["has_more"] is True
    rest = read_only_api.get(f"/api/v1/conversations?limit=2&cursor={body['next_cursor']}")
    rest = rest.get_json()
    assert [c["customer_id"] for c in rest["data"]] == [None]
    assert rest["has_more"] is False and rest["next_cursor"] is None
    ana_row = body["data"][0]
    assert ana_row["status"] == "open"
    assert ana_row["last_inbound_at"].startswith("2026-10-01T11:00:00")
    only = read_only_api.get("/api/v1/conversations?customer_id=C-BRU").get_json()["data"]
    assert [c["customer_id"] for c in only] == ["C-BRU"]
    bad = read_only_api.get("/api/v1/conversations?cursor=nonsense")
    assert bad.status_code == 400


def test_updated_since_sees_messages_either_way(app, read_only_api):
    conversations_of_three()
    db.session.execute(update(Conversation).values(created_at=T0))  # began long ago
    db.session.execute(update(Message).values(created_at=T0 + timedelta(hours=1)))
    db.session.commit()

    def changed_since(moment: datetime) -> list:
        stamp = moment.isoformat().replace("+00:00", "Z")
        body = read_only_api.get(f"/api/v1/conversations?updated_since={stamp}").get_json()
        return [c["customer_id"] for c in body["data"]]

    assert changed_since(T0 + timedelta(hours=12)) == ["C-BRU", None]
    assert changed_since(T0 + timedelta(hours=1, minutes=30)) == ["C-ANA", "C-BRU", None]
    assert changed_since(T0 + timedelta(days=1, hours=12)) == [None]
    assert changed_since(T0 + timedelta(days=3)) == []
    # The staff reply to Ana goes out on day 4: an outbound message changes her conversation.
    db.session.execute(update(Message).values(status="sent", sent_at=T0 + timedelta(days=4)))
    db.session.commit()
    assert changed_since(T0 + timedelta(days=3)) == ["C-ANA"]
    body = read_only_api.get("/api/v1/conversations?customer_id=C-ANA").get_json()["data"]
    assert body[0]["updated_at"].startswith("2026-10-05T09:00:00")


def test_one_conversation_with_both_directions(app, read_only_api):
    app.config["WEBHOOKS_ALLOW_PRIVATE"] = True
    ana, _, first, second = conversations_of_three()
    create_endpoint("http://127.0.0.1:9/hooks", list(EVENTS), actor_type="system")
    emit("debtor.opted_out", {"object": "debtor_opt_out", "customer_id": "C-ANA"})
    db.session.commit()
    listed = read_only_api.get("/api/v1/conversations?customer_id=C-ANA").get_json()["data"]
    body = read_only_api.get(f"/api/v1/conversations/{listed[0]['id']}").get_json()
    assert body["customer_id"] == "C-ANA" and body["messages_truncated"] is False
    shown = [(m["direction"], m["kind"], m["text"]) for m in body["messages"]]
    assert shown == [("inbound", "reply", "Can I pay in two parts?"),
                     ("outbound", "reply", "Yes, from the portal."),
                     ("inbound", "reply", "Thanks")]  # never the webhook
    assert body["messages"][0]["id"] == first.id and body["messages"][2]["id"] == second.id
    assert body["messages"][1]["status"] == "pending"
    assert body["messages"][0]["sender"] == "ana@example.com"
    assert body["updated_at"] >= body["messages"][-1]["at"][:19]
    assert read_only_api.get("/api/v1/conversations/999999").status_code == 404


def test_messages_list_leaves_webhooks_out(app, read_only_api):
    app.config["WEBHOOKS_ALLOW_PRIVATE"] = True
    create_endpoint("http://127.0.0.1:9/hooks", list(EVENTS), actor_type="system")
    emit("debtor.opted_out", {"object": "debtor_opt_out", "customer_id": "C-1"})
    db.session.commit()
    response = read_only_api.get("/api/v1/messages")
    assert response.status_code == 200 and response.get_json()["data"] == []
