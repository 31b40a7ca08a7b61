"""The staff inbox: conversations per debtor, unread counts, assignment, done, replies.

Plain functions used by the staff views (and by anything else that needs them). Every
state change is audited; `reply` puts a `reply` message in the outbox (the dispatcher sends
it, threaded to the message it answers), never sends itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from alerts.enqueue import enqueue
from portal import audit
from portal.extensions import db
from portal.models import Conversation, Debtor, InboundMessage, Message, ReplySnippet, StaffUser

FILTERS = ("open", "mine", "unassigned", "unknown", "done", "all")
REPLY_CHANNELS = ("email", "sms", "whatsapp")
MAX_REPLY = 5000


class InboxError(ValueError):
    """A staff action that cannot be done (said in a sentence)."""


@dataclass
class Row:
    conversation: Conversation
    debtor: Debtor | None
    unread: int
    last_text: str
    last_at: datetime | None


@dataclass
class ThreadItem:
    at: datetime
    direction: str  # in | out
    channel: str
    text: str
    subject: str = ""
    status: str = ""
    author: str = ""
    ref: object = None


def unread_total() -> int:
    """Unread inbound messages in open conversations (the console's badge)."""
    return db.session.scalar(select(func.count()).select_from(InboundMessage).join(
        Conversation, Conversation.id == InboundMessage.conversation_id).where(
        InboundMessage.read_at.is_(None), Conversation.status == "open")) or 0


def conversations(view: str, staff: StaffUser, limit: int = 200) -> list[Row]:
    """Conversations for one inbox filter, the most recent inbound first."""
    query = select(Conversation).order_by(Conversation.last_inbound_at.desc().nulls_last(),
                                          Conversation.id.desc()).limit(limit)
    if view in ("open", "mine", "unassigned", "unknown"):
        query = query.where(Conversation.status == "open")
    if view == "mine":
        query = query.where(Conversation.assigned_to_id == staff.id)
    elif view == "unassigned":
        query = query.where(Conversation.assigned_to_id.is_(None))
    elif view == "unknown":
        query = query.where(Conversation.debtor_id.is_(None))
    elif view == "done":
        query = query.where(Conversation.status == "done")
    found = db.session.scalars(query).all()
    ids = [c.id for c in found]
    unread = dict(db.session.execute(
        select(InboundMessage.conversation_id, func.count()).where(
            InboundMessage.conversation_id.in_(ids), InboundMessage.read_at.is_(None))
        .group_by(InboundMessage.conversation_id)).all())
    latest = {}
    for conversation_id, text in db.session.execute(
            select(InboundMessage.conversation_id, InboundMessage.text)
            .where(InboundMessage.conversation_id.in_(ids))
            .order_by(InboundMessage.received_at, InboundMessage.id)):
        latest[conversation_id] = text
    debtors = {d.id: d for d in db.session.scalars(select(Debtor).where(
        Debtor.id.in_({c.debtor_id for c in found if c.debtor_id})))}
    return [Row(c, debtors.get(c.debtor_id), unread.get(c.id, 0), latest.get(c.id, ""),
                c.last_inbound_at) for c in found]


def thread(conversation: Conversation) -> list[ThreadItem]:
    """The whole conversation across channels, both directions, oldest first."""
    items = [ThreadItem(m.received_at, "in", m.channel, m.text, m.subject or "",
                        m.action or ("unread" if m.read_at is None else "read"), m.sender, m)
             for m in db.session.scalars(select(InboundMessage).where(
                 InboundMessage.conversation_id == conversation.id))]
    if conversation.debtor_id is not None:
        staff = dict(db.session.execute(select(StaffUser.id, StaffUser.email)).all())
        for m in db.session.scalars(select(Message).where(
                Message.debtor_id == conversation.debtor_id,
                Message.status.in_(("pending", "sending", "sent", "failed")))):
            text = m.body if m.kind == "reply" else ""
            items.append(ThreadItem(m.sent_at or m.send_at, "out", m.channel, text or "",
                                    m.subject or m.kind, m.status,
                                    staff.get(m.sent_by_id, "Saldo"), m))
    items.sort(key=lambda item: item.at)
    return items


def mark_read(conversation: Conversation) -> int:
    """Mark every inbound message of the conversation read; how many were unread."""
    return db.session.execute(update(InboundMessage).where(
        InboundMessage.conversation_id == conversation.id, InboundMessage.read_at.is_(None))
        .values(read_at=datetime.now(UTC))).rowcount or 0


def assign(conversation: Conversation, assignee: StaffUser | None, by: StaffUser) -> None:
    """Give the conversation to an agent (None: unassign); audited; the caller commits."""
    before = conversation.assigned_to_id
    conversation.assigned_to_id = assignee.id if assignee else None
    audit.record("staff", by.id, "inbox.assigned", conversation,
                 before={"assigned_to": before},
                 after={"assigned_to": conversation.assigned_to_id})


def set_status(conversation: Conversation, status: str, by: StaffUser) -> bool:
    """Mark done (or reopen); a conditional update, so two agents never both change it."""
    if status not in ("open", "done"):
        raise InboxError(_l("Unknown status."))
    changed = db.session.execute(update(Conversation).where(
        Conversation.id == conversation.id, Conversation.status != status)
        .values(status=status)).rowcount
    if changed:
        audit.record("staff", by.id, f"inbox.{status}", conversation)
        if status == "done":
            mark_read(conversation)
    db.session.refresh(conversation)
    return bool(changed)


def _reply_channel(conversation: Conversation, debtor: Debtor, wanted: str | None) -> str:
    if wanted:
        return wanted
    last = db.session.scalar(select(InboundMessage.channel).where(
        InboundMessage.conversation_id == conversation.id, InboundMessage.channel != "portal")
        .order_by(InboundMessage.received_at.desc()).limit(1))
    return last or ("email" if debtor.email else "sms")


def reply(conversation: Conversation, by: StaffUser, text: str,
          channel: str | None = None, subject: str | None = None) -> int:
    """Queue a staff reply to the debtor through the outbox; audited; the caller commits.

    Goes out on `channel` (default: the channel of the debtor's last message), threaded
    (In-Reply-To) to the last email they sent. Returns the outbox message id.
    """
    text = (text or "").strip()
    if conversation.debtor_id is None:
        raise InboxError(_l("This sender is not a known debtor; there is no one to reply to."))
    if not text:
        raise InboxError(_l("Write the reply first."))
    if len(text) > MAX_REPLY:
        raise InboxError(_l("A reply can be at most %(n)d characters.", n=MAX_REPLY))
    debtor = db.session.get(Debtor, conversation.debtor_id)
    channel = _reply_channel(conversation, debtor, channel)
    if channel not in REPLY_CHANNELS:
        raise InboxError(_l("Choose email, SMS or WhatsApp."))
    if (channel == "email" and not debtor.email) or (channel != "email" and not debtor.phone):
        raise InboxError(_l("The debtor has no address on file for that channel."))
    thread_ref = db.session.scalar(select(InboundMessage.provider_id).where(
        InboundMessage.conversation_id == conversation.id, InboundMessage.channel == "email",
        InboundMessage.provider_id.like("<%>")).order_by(
        InboundMessage.received_at.desc()).limit(1))
    message_id = enqueue(debtor, "reply", channel, reason=f"staff:{by.id}",
                         sent_by_id=by.id, subject=(subject or "").strip()[:300] or None,
                         body=text, thread_ref=thread_ref if channel == "email" else None)
    mark_read(conversation)
    audit.record("staff", by.id, "inbox.replied", conversation,
                 after={"message_id": message_id, "channel": channel})
    return message_id


def snippets(locale: str | None = None) -> list[ReplySnippet]:
    query = select(ReplySnippet).order_by(ReplySnippet.locale, ReplySnippet.title)
    if locale:
        query = query.where(ReplySnippet.locale == locale)
    return list(db.session.scalars(query))


def save_snippet(title: str, locale: str, body: str, by: StaffUser) -> ReplySnippet:
    """Add a saved reply (unique title per language); audited; the caller commits."""
    title, body = (title or "").strip(), (body or "").strip()
    if not title or not body:
        raise InboxError(_l("A snippet needs a title and a text."))
    if locale not in ("es", "pt_BR", "en"):
        raise InboxError(_l("Choose Spanish, Portuguese or English."))
    if db.session.scalar(select(ReplySnippet.id).where(
            ReplySnippet.title == title, ReplySnippet.locale == locale)) is not None:
        raise InboxError(_l("A snippet with that title already exists in that language."))
    snippet = ReplySnippet(title=title[:120], locale=locale, body=body[:MAX_REPLY],
                           created_by_id=by.id)
    db.session.add(snippet)
    db.session.flush()
    audit.record("staff", by.id, "inbox.snippet_saved", snippet, after={"title": title,
                                                                        "locale": locale})
    return snippet


def delete_snippet(snippet: ReplySnippet, by: StaffUser) -> None:
    audit.record("staff", by.id, "inbox.snippet_deleted", snippet,
                 before={"title": snippet.title, "locale": snippet.locale})
    db.session.delete(snippet)
