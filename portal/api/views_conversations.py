"""/api/v1/conversations: each debtor's conversation (and each unmatched sender's), read only.

A conversation is every message either way: what the debtor wrote on any channel
(`InboundMessage`) and what Saldo sent them (their outbox messages, webhooks never among
them). Lists page by id with `updated_since` (on the latest message either way, or when the
conversation began) and `customer_id`; one conversation comes with its messages.
"""

from __future__ import annotations

from datetime import datetime

from flask import abort
from sqlalchemy import exists, func, or_, select

from portal.api import bp
from portal.api.auth import require
from portal.api.pagination import page
from portal.api.schemas import ListArgs, page_schema
from portal.api.schemas_read import (
    ConversationDetailOut,
    ConversationOut,
    inbound_item,
    outbound_item,
)
from portal.extensions import db
from portal.models import Conversation, Debtor, InboundMessage, Message

ConversationPage = page_schema(ConversationOut, "ConversationPage")
SHOWN = ("pending", "sending", "sent", "failed")  # what the staff inbox shows too
MAX_MESSAGES = 500
MAX_ID = 2**31 - 1  # integer primary keys: larger ids cannot exist (nor be asked for)
_outbound_changed = func.coalesce(Message.sent_at, Message.created_at)
_outbound_at = func.coalesce(Message.sent_at, Message.send_at)  # an item's `at`


def _outbound(debtor_id):
    return (Message.debtor_id == debtor_id) & Message.status.in_(SHOWN)


def _customers(debtor_ids) -> dict[int, str]:
    ids = {i for i in debtor_ids if i is not None}
    return dict(db.session.execute(select(Debtor.id, Debtor.external_id).where(
        Debtor.id.in_(ids))).all()) if ids else {}


def _latest_outbound(debtor_ids) -> dict[int, datetime]:
    ids = {i for i in debtor_ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(
        select(Message.debtor_id, func.max(_outbound_changed))
        .where(Message.debtor_id.in_(ids), Message.status.in_(SHOWN))
        .group_by(Message.debtor_id)).all())


def _view(conversation: Conversation, customers: dict, latest: dict) -> dict:
    moments = [conversation.created_at, conversation.last_inbound_at,
               latest.get(conversation.debtor_id)]
    return {"id": conversation.id, "customer_id": customers.get(conversation.debtor_id),
            "status": conversation.status, "last_inbound_at": conversation.last_inbound_at,
            "updated_at": max(m for m in moments if m is not None),
            "created_at": conversation.created_at}


@bp.route("/conversations", methods=["GET"])
@require("read")
@bp.arguments(ListArgs, location="query")
@bp.response(200, ConversationPage)
def list_conversations(args: dict):
    """List conversations (cursor pagination; `updated_since`: a message either way, or the
    conversation began, at or after it; `customer_id`)."""
    args = dict(args)
    since = args.pop("updated_since", None)
    query = select(Conversation)
    if since is not None:
        query = query.where(or_(
            Conversation.created_at >= since, Conversation.last_inbound_at >= since,
            exists().where(_outbound(Conversation.debtor_id), _outbound_changed >= since)))
    result = page(Conversation, args, debtor_column=Conversation.debtor_id, query=query)
    debtor_ids = [c.debtor_id for c in result["data"]]
    customers, latest = _customers(debtor_ids), _latest_outbound(debtor_ids)
    result["data"] = [_view(c, customers, latest) for c in result["data"]]
    return result


@bp.route("/conversations/<int:conversation_id>", methods=["GET"])
@require("read")
@bp.response(200, ConversationDetailOut)
def get_conversation(conversation_id: int):
    """One conversation with its messages, both directions, oldest first (the latest 500)."""
    conversation = db.session.get(Conversation, conversation_id) \
        if 0 < conversation_id <= MAX_ID else None
    if conversation is None:
        abort(404)
    customers = _customers([conversation.debtor_id])
    customer_id = customers.get(conversation.debtor_id)
    items = [inbound_item(m, customer_id) for m in db.session.scalars(
        select(InboundMessage).where(InboundMessage.conversation_id == conversation.id)
        .order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc())
        .limit(MAX_MESSAGES + 1))]
    if conversation.debtor_id is not None:
        items += [outbound_item(m, conversation.id, customer_id) for m in db.session.scalars(
            select(Message).where(_outbound(conversation.debtor_id))
            .order_by(_outbound_at.desc(), Message.id.desc()).limit(MAX_MESSAGES + 1))]
    items.sort(key=lambda item: (item["at"], item["direction"], item["id"]))
    latest = _latest_outbound([conversation.debtor_id])
    return {**_view(conversation, customers, latest), "messages": items[-MAX_MESSAGES:],
            "messages_truncated": len(items) > MAX_MESSAGES}
