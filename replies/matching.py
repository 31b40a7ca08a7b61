"""Who sent an inbound message: reply token first, then the contact on file, else nobody."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.utils import parseaddr

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Debtor, Message
from replies.tokens import debtor_id_from_address


@dataclass(frozen=True)
class Match:
    debtor_id: int | None
    matched_by: str  # token | contact | unknown
    in_reply_to_id: int | None = None


def normalise_sender(channel: str, sender: str) -> str:
    """An email address in lower case, or a phone number without `whatsapp:` and spaces."""
    sender = (sender or "").strip()
    if channel == "email":
        return parseaddr(sender)[1].lower() or sender.lower()
    sender = sender.removeprefix("whatsapp:").strip()
    digits = re.sub(r"\D", "", sender)
    return ("+" + digits) if digits else sender


def _by_contact(channel: str, sender: str) -> int | None:
    if channel == "email":
        if "@" not in sender:
            return None
        ids = db.session.scalars(select(Debtor.id).where(
            func.lower(Debtor.email) == sender).order_by(Debtor.id).limit(2)).all()
        return ids[0] if len(ids) == 1 else None  # a shared address is not a match
    digits = re.sub(r"\D", "", sender)
    if len(digits) < 7:
        return None
    # Stored numbers may hold spaces or dashes: narrow by the last two digits, then compare
    # digits only.
    rows = db.session.execute(select(Debtor.id, Debtor.phone).where(
        Debtor.phone.like(f"%{digits[-2]}%{digits[-1]}")).order_by(Debtor.id)).all()
    found = {debtor_id for debtor_id, phone in rows
             if (stored := re.sub(r"\D", "", phone or "")) and len(stored) >= 7
             and (stored == digits or stored.endswith(digits) or digits.endswith(stored))}
    return found.pop() if len(found) == 1 else None  # a shared number is not a match


def _replied_message(in_reply_to: str | None, debtor_id: int | None) -> int | None:
    """The outbox message an email answers (its Message-ID is the stored provider id)."""
    refs = re.findall(r"<[^<>\s]+>", in_reply_to or "")
    if not refs:
        return None
    query = select(Message.id, Message.debtor_id).where(Message.provider_id.in_(refs))
    for message_id, owner in db.session.execute(query.limit(5)):
        if debtor_id is None or owner == debtor_id:
            return message_id
    return None


def match_sender(channel: str, sender: str, to: str | None,
                 in_reply_to: str | None = None) -> Match:
    """Match by the signed reply address, else by the email/phone on file, else unknown."""
    debtor_id = debtor_id_from_address(to) if channel == "email" else None
    if debtor_id is not None and db.session.get(Debtor, debtor_id) is not None:
        return Match(debtor_id, "token", _replied_message(in_reply_to, debtor_id))
    debtor_id = _by_contact(channel, normalise_sender(channel, sender))
    if debtor_id is not None:
        return Match(debtor_id, "contact", _replied_message(in_reply_to, debtor_id))
    return Match(None, "unknown")
