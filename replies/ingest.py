"""`ingest_reply`: the one way an inbound message enters Saldo.

Match the sender (reply token, else contact on file, else the unknown-sender queue), store
the message once in the conversation (a provider's retry with the same id returns the row
already stored), reopen the conversation, then run the reply handlers (`replies.handlers`:
stop words by default) in the same transaction. Webhooks, the mail sink handoff, the IMAP
poller, the portal contact form and `saldo replies ingest` all call this function.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import Conversation, InboundMessage
from portal.models.conversations import INBOUND_CHANNELS
from replies.matching import match_sender, normalise_sender

log = logging.getLogger("saldo.replies")
MAX_TEXT = 20_000


class IngestError(ValueError):
    """The message cannot be stored as given (unknown channel, no sender, no text)."""


def conversation_for(debtor_id: int | None, sender_key: str | None) -> Conversation:
    """The debtor's conversation (or the unknown sender's), created when missing."""
    if debtor_id is not None:
        where = Conversation.debtor_id == debtor_id
    else:
        where = Conversation.sender_key == sender_key
    found = db.session.scalar(select(Conversation).where(where))
    if found is None:
        found = Conversation(debtor_id=debtor_id,
                             sender_key=None if debtor_id is not None else sender_key,
                             status="open")
        db.session.add(found)
        db.session.flush()
    return found


def _existing(channel: str, provider_id: str | None) -> InboundMessage | None:
    if not provider_id:
        return None
    return db.session.scalar(select(InboundMessage).where(
        InboundMessage.channel == channel, InboundMessage.provider_id == provider_id))


def _check(channel: str, sender: str, text: str) -> None:
    if channel not in INBOUND_CHANNELS:
        raise IngestError(f"unknown channel {channel!r}; use one of {', '.join(INBOUND_CHANNELS)}")
    if not (sender or "").strip():
        raise IngestError("the sender is missing")
    if not (text or "").strip():
        raise IngestError("the message has no text")


def _store(channel, sender, text, to, received_at, provider_id, subject, in_reply_to,
           debtor_id) -> InboundMessage:
    if debtor_id is not None:  # the portal's contact form: the debtor is signed in
        from replies.matching import Match

        found = Match(debtor_id, "portal")
    else:
        found = match_sender(channel, sender, to, in_reply_to)
    key = f"{channel}:{normalise_sender(channel, sender)}"[:300]
    conversation = conversation_for(found.debtor_id, key)
    inbound = InboundMessage(
        conversation_id=conversation.id, debtor_id=found.debtor_id, channel=channel,
        sender=sender.strip()[:300], to_address=(to or None) and to[:300],
        subject=(subject or None) and subject[:300], text=text.strip()[:MAX_TEXT],
        provider_id=provider_id or None, matched_by=found.matched_by,
        in_reply_to_id=found.in_reply_to_id, received_at=received_at)
    db.session.add(inbound)
    conversation.status = "open"
    conversation.last_inbound_at = max(filter(None, (conversation.last_inbound_at,
                                                     received_at)))
    db.session.flush()
    return inbound


def ingest_reply(channel: str, sender: str, text: str, to: str | None = None,
                 received_at: datetime | None = None, provider_id: str | None = None, *,
                 subject: str | None = None, in_reply_to: str | None = None,
                 debtor_id: int | None = None) -> InboundMessage:
    """Store one inbound message (once per provider id) and run the reply handlers; commits.

    `channel` is email, sms, whatsapp or portal; `sender` the address or number it came
    from; `to` the address it was sent to (a reply address names the debtor);
    `provider_id` the provider's message id (duplicates return the stored row, with
    `duplicate` set); `in_reply_to` an email's In-Reply-To/References (threads the reply to
    the message it answers); `debtor_id` only for messages from a signed-in debtor.
    """
    from portal.webhooks.events import emit
    from replies.handlers import run_handlers

    _check(channel, sender, text)
    received_at = received_at or datetime.now(UTC)
    provider_id = (provider_id or "").strip()[:300] or None
    for attempt in (1, 2):
        existing = _existing(channel, provider_id)
        if existing is not None:
            existing.duplicate = True
            return existing
        try:
            inbound = _store(channel, sender, text, to, received_at, provider_id, subject,
                             in_reply_to, debtor_id)
            run_handlers(inbound)
            emit("reply.received", inbound)
            db.session.commit()
        except IntegrityError:  # a concurrent retry (same provider id) or a new conversation
            db.session.rollback()
            if attempt == 2:
                raise
            continue
        inbound.duplicate = False
        log.info("inbound %s message %s stored (debtor %s, matched by %s)", channel,
                 inbound.id, inbound.debtor_id, inbound.matched_by)
        return inbound
    raise AssertionError("unreachable")
