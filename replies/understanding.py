"""The reply handler that understands an inbound message and acts on it (after the STOP rule).

``understand_and_act(inbound)`` runs inside ``ingest_reply``'s transaction (registered in
``replies.handlers``): it reads the reply relative to the day it was received in the debtor's
time zone, restricted to the debtor's language and the other two we read, records the
understanding (``ReplyUnderstanding``), acts through ``replies.actions`` and queues the
answer through the outbox on the channel the reply came on (kind ``reply``, urgent: it leaves
within seconds). A handled reply is marked read with its action, so the staff inbox shows it
as handled; anything that needs a person stays unread. Portal messages ("Ask us") are
answered on the page instead of through the outbox.

Contact-law profiles and immediate answers (``alerts.calendar``): the default profile's
sending window and caps apply to reminders Saldo starts, not to an answer to the debtor's own
message, which goes at once. The Colombian profile (Ley 2300 de 2023) limits the contacts a
creditor initiates (hours, one a day, one channel a week); answering a debtor who wrote to
us, on the channel they used, with what they asked, is not a new collection contact, so it is
sent immediately, even outside the window. What keeps it within the law: one automatic
answer per message (its dedupe key), on that channel only, with the facts asked for and no
collection pressure, and it never counts toward the reminder caps.
"""

from __future__ import annotations

import logging

from portal.extensions import db
from portal.models import Debtor, InboundMessage, Message, ReplyUnderstanding
from replies import LANGUAGES
from replies.actions import Outcome, act, target_invoice
from replies.dates import local_today
from replies.understand import understand

log = logging.getLogger("saldo.replies")


def debtor_languages(debtor: Debtor) -> tuple[str, ...]:
    """The languages a debtor's reply is read in: theirs first, then the others we read."""
    own = (debtor.locale or "es").split("_")[0].split("-")[0].lower()
    return (own, *[code for code in LANGUAGES if code != own]) if own in LANGUAGES \
        else LANGUAGES


def understand_and_act(inbound: InboundMessage) -> bool:
    """Understand, act, answer (see the module docstring). Ends the handler chain."""
    if inbound.debtor_id is None:
        return False  # an unknown sender: only a person can help
    from replies.registry import active_model

    debtor = db.session.get(Debtor, inbound.debtor_id)
    today = local_today(inbound.received_at, debtor.timezone or "America/Bogota")
    found = understand(inbound.text or "", today, active_model(), debtor_languages(debtor))
    answered = db.session.get(Message, inbound.in_reply_to_id) if inbound.in_reply_to_id \
        else None
    outcome = act(debtor, found, today, channel=inbound.channel,
                  source=f"reply:{inbound.id}", invoice=target_invoice(debtor, answered))
    record_outcome(inbound, found, outcome)
    if outcome.answer and inbound.channel in ("email", "sms", "whatsapp"):
        _send(debtor, inbound, outcome)
    log.info("reply %s understood as %s (%.2f): %s", inbound.id, found.intent,
             found.confidence, outcome.action)
    return True


def record_outcome(inbound: InboundMessage, found, outcome: Outcome) -> ReplyUnderstanding:
    row = ReplyUnderstanding(
        inbound_message_id=inbound.id, intent=found.intent,
        confidence=round(float(found.confidence), 4), language=found.language,
        promised_on=found.promised_on,
        amount=None if found.amount is None else str(found.amount)[:32],
        action=outcome.action, answer=outcome.answer, promise_id=outcome.promise_id,
        dispute_id=outcome.dispute_id)
    db.session.add(row)
    inbound.action = outcome.action[:32]
    if outcome.handled:
        inbound.read_at = inbound.received_at
    db.session.flush()
    return row


def _send(debtor: Debtor, inbound: InboundMessage, outcome: Outcome) -> None:
    from alerts.enqueue import enqueue

    if (inbound.channel == "email" and not debtor.email) or \
            (inbound.channel != "email" and not debtor.phone):
        return
    thread_ref = inbound.provider_id if inbound.channel == "email" else None
    enqueue(debtor, "reply", inbound.channel, reason=f"auto_reply:{inbound.id}",
            dedupe_key=f"auto_reply:{inbound.id}", body=outcome.answer,
            promise_id=outcome.promise_id, dispute_id=outcome.dispute_id,
            thread_ref=thread_ref)
