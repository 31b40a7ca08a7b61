"""Understanding a stored inbound message, acting on it and answering: the last step of
``ingest_reply`` (as the ``understand_reply`` handler) and the whole of the portal's
"Ask us" box.

``respond(inbound, debtor, deliver=...)`` runs the understanding (``replies.understand``)
relative to the day the message was received in the debtor's time zone, restricted to the
debtor's language, acts through the shared operations (``replies.actions.act``), records a
``ReplyUnderstanding`` and, when ``deliver`` is set, queues the answer in the outbox on the
channel the debtor wrote on (kind ``reply``, threaded to their email), at the moment the
contact-law profile allows (``alerts.calendar.answer_send_at``). A message that is handled
is marked read, and its conversation done when nothing else in it waits for a person, so
the staff inbox shows only what needs someone.

Nothing here may lose the message: the understanding runs in a savepoint, and when it fails
the message simply waits for a person (logged).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import func, select

from alerts.enqueue import enqueue
from portal.extensions import db
from portal.models import (
    Conversation,
    Debtor,
    InboundMessage,
    Message,
    ReplyUnderstanding,
)
from replies import LANGUAGES
from replies.actions import Outcome, act, target_invoice
from replies.amounts import format_amount
from replies.dates import local_today
from replies.understand import Understanding, understand

log = logging.getLogger("saldo.replies")
ANSWER_CHANNELS = ("email", "sms", "whatsapp")


def debtor_languages(debtor: Debtor) -> tuple[str, ...]:
    """The languages a debtor's messages are read in: their own when we know it."""
    language = (debtor.locale or "").replace("-", "_").split("_")[0].lower()
    return (language,) if language in LANGUAGES else LANGUAGES


def _received(inbound: InboundMessage) -> datetime:
    received = inbound.received_at or datetime.now(UTC)
    return received if received.tzinfo else received.replace(tzinfo=UTC)


def received_day(inbound: InboundMessage, debtor: Debtor):
    """The day the message arrived in the debtor's time zone ("el viernes" is read from it)."""
    return local_today(_received(inbound), debtor.timezone or current_app.config.get(
        "DEFAULT_TIMEZONE", "America/Bogota"))


def understand_inbound(inbound: InboundMessage, debtor: Debtor) -> tuple[Understanding,
                                                                         int | None]:
    """What the message says, and the id of the model version that read it (None: baseline)."""
    from replies.registry import active_model_version

    model, version_id = active_model_version()
    found = understand(inbound.text, received_day(inbound, debtor), model,
                       debtor_languages(debtor))
    return found, version_id


def sender_verified(inbound: InboundMessage) -> bool:
    """Whether Saldo may act on the message without a person: it came from the debtor's
    own signed reply address (email), from a signed-in debtor (portal), or through the SMS
    provider's signed webhook from the number on file. An email matched only by its From
    header (which anyone can forge) is understood, but a person decides."""
    if inbound.channel == "email":
        return inbound.matched_by == "token"
    return inbound.matched_by in ("contact", "token", "portal")


def respond(inbound: InboundMessage, debtor: Debtor, *, deliver: bool) -> ReplyUnderstanding:
    """Understand, act, record and (``deliver``) queue the answer; the caller commits."""
    found, version_id = understand_inbound(inbound, debtor)
    today = received_day(inbound, debtor)
    answered = db.session.get(Message, inbound.in_reply_to_id) if inbound.in_reply_to_id \
        else None
    if sender_verified(inbound):
        outcome = act(debtor, found, today, channel=inbound.channel,
                      source=f"reply:{inbound.id}", invoice=target_invoice(debtor, answered))
    else:
        outcome = Outcome("unverified_sender", False)
    record = ReplyUnderstanding(
        inbound_message_id=inbound.id, debtor_id=debtor.id, intent=found.intent,
        confidence=min(max(float(found.confidence), 0.0), 1.0), language=found.language,
        promised_on=found.promised_on, amount=format_amount(found.amount),
        by_rule=found.by_rule, model_version_id=version_id, action=outcome.action[:32],
        handled=outcome.handled, answer=outcome.answer, promise_id=outcome.promise_id,
        dispute_id=outcome.dispute_id)
    db.session.add(record)
    inbound.action = outcome.action[:32]
    if deliver:
        record.answer_message_id = _deliver(inbound, debtor, outcome)
    if outcome.handled:
        inbound.read_at = datetime.now(UTC)
        _close_if_nothing_waits(inbound)
    db.session.flush()
    return record


def _deliver(inbound: InboundMessage, debtor: Debtor, outcome: Outcome) -> int | None:
    """Queue the answer on the channel the debtor wrote on (None when there is none)."""
    channel = inbound.channel
    if channel not in ANSWER_CHANNELS:
        return None
    if outcome.action == "opt_out":  # the one confirmation the law allows after a stop
        return enqueue(debtor, "opt_out_confirmation", channel,
                       reason=f"stop_reply:{inbound.id}",
                       dedupe_key=f"opt_out_confirmation:{debtor.id}:{channel}:{inbound.id}")
    if not outcome.answer:
        return None
    if (channel == "email" and not debtor.email) or (channel != "email" and not debtor.phone):
        return None
    from alerts.calendar import answer_send_at, profile_for
    from alerts.settings import current_policy

    send_at = answer_send_at(profile_for(current_policy()), debtor.country, debtor.timezone,
                             _received(inbound), datetime.now(UTC))
    subject = None
    if channel == "email":
        subject = inbound.subject or ""
        subject = subject if subject.lower().startswith("re:") or not subject \
            else f"Re: {subject}"
    thread_ref = inbound.provider_id if channel == "email" and inbound.provider_id and \
        inbound.provider_id.startswith("<") else None
    return enqueue(debtor, "reply", channel, reason=f"auto_reply:{inbound.id}",
                   dedupe_key=f"auto_reply:{inbound.id}", send_at=send_at,
                   subject=(subject or None) and subject[:300], body=outcome.answer,
                   thread_ref=thread_ref)


def _close_if_nothing_waits(inbound: InboundMessage) -> None:
    """Mark the conversation done when every message in it has been read or handled."""
    waiting = db.session.scalar(select(func.count()).select_from(InboundMessage).where(
        InboundMessage.conversation_id == inbound.conversation_id,
        InboundMessage.id != inbound.id, InboundMessage.read_at.is_(None)))
    if not waiting:
        conversation = db.session.get(Conversation, inbound.conversation_id)
        conversation.status = "done"


def understand_reply(inbound: InboundMessage) -> bool:
    """The reply handler (after stop words): replies from known debtors on email, SMS or
    WhatsApp are understood and acted on. Messages written to a person through the portal's
    contact form, and unknown senders, are left for staff."""
    if inbound.debtor_id is None or inbound.channel not in ANSWER_CHANNELS:
        return False
    respond_or_leave(inbound, db.session.get(Debtor, inbound.debtor_id), deliver=True)
    return True


def respond_or_leave(inbound: InboundMessage, debtor: Debtor, *,
                     deliver: bool) -> ReplyUnderstanding | None:
    """``respond`` in a savepoint; when it fails the message is kept and left for a person
    (None). The message is written to first (its provisional action), so on SQLite this
    transaction holds the write lock before it reads: a transaction that has only read
    cannot become a writer once another process has committed meanwhile."""
    inbound.action = "needs_person"
    db.session.flush()
    try:
        with db.session.begin_nested():
            return respond(inbound, debtor, deliver=deliver)
    except Exception:  # understanding must never lose the message: a person reads it
        log.exception("understanding inbound message %s failed; left for a person",
                      inbound.id)
        return None
