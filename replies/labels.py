"""Staff correcting what Saldo understood of a message: each correction is a labelled
example (``ReplyLabel``) that the next ``saldo replies train`` learns from (never part of the
held-out split). One label per message: correcting again updates it. Audited.

A correction teaches the model; it does not undo what was done (a promise recorded, a
dispute opened): staff change those on their own pages.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal import audit
from portal.extensions import db
from portal.models import Debtor, InboundMessage, ReplyLabel, ReplyUnderstanding, StaffUser
from replies import INTENTS, LANGUAGES


class LabelError(ValueError):
    """The correction cannot be saved (said in a sentence)."""


def _language(inbound: InboundMessage, found: ReplyUnderstanding | None) -> str:
    if found is not None:
        return found.language
    debtor = db.session.get(Debtor, inbound.debtor_id) if inbound.debtor_id else None
    language = ((debtor.locale if debtor else "") or "es").split("_")[0].lower()
    return language if language in LANGUAGES else "es"


def correct(inbound: InboundMessage, intent: str, by: StaffUser) -> ReplyLabel:
    """Label ``inbound`` with ``intent``; the caller commits."""
    from replies.respond import received_day

    if intent not in INTENTS:
        raise LabelError(_l("Choose one of the listed intents."))
    found = db.session.scalar(select(ReplyUnderstanding).where(
        ReplyUnderstanding.inbound_message_id == inbound.id))
    debtor = db.session.get(Debtor, inbound.debtor_id) if inbound.debtor_id else None
    if debtor is not None:
        received_on = received_day(inbound, debtor)
    else:
        received_on = inbound.received_at.astimezone(UTC).date()
    label = db.session.scalar(select(ReplyLabel).where(
        ReplyLabel.inbound_message_id == inbound.id))
    before = {"intent": label.intent} if label else None
    if label is None:
        label = ReplyLabel(inbound_message_id=inbound.id, text=inbound.text[:2000],
                           language=_language(inbound, found), received_on=received_on,
                           predicted_intent=found.intent if found else None)
        db.session.add(label)
    label.intent, label.staff_user_id = intent, by.id
    if found is not None:
        found.corrected_intent, found.corrected_by_id = intent, by.id
        found.corrected_at = datetime.now(UTC)
    db.session.flush()
    audit.record("staff", by.id, "inbox.reply_labelled", inbound, before=before,
                 after={"intent": intent, "predicted": label.predicted_intent})
    return label


def understood(inbound_ids) -> dict[int, ReplyUnderstanding]:
    """{inbound message id: what was understood} for a thread."""
    ids = list(inbound_ids)
    if not ids:
        return {}
    return {u.inbound_message_id: u for u in db.session.scalars(select(ReplyUnderstanding)
                                                                .where(ReplyUnderstanding
                                                                       .inbound_message_id
                                                                       .in_(ids)))}
