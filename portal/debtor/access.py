"""Getting into the portal: fresh links sent only to the contact on file, contact lookup,
the visit record of a link tap.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import func, or_, select, update

from alerts.enqueue import enqueue
from portal import audit
from portal.extensions import db
from portal.models import AccessLink, Debtor, Message, PortalVisit

log = logging.getLogger(__name__)


def phone_digits(text: str) -> str:
    return re.sub(r"\D", "", text or "")


def find_by_contact(contact: str) -> tuple[Debtor | None, str | None]:
    """The debtor whose email (any case) or phone (digits only) matches, and which matched."""
    contact = (contact or "").strip()
    if "@" in contact:
        debtor = db.session.scalar(
            select(Debtor).where(func.lower(Debtor.email) == contact.lower()).limit(2))
        return (debtor, "email") if debtor is not None else (None, None)
    digits = phone_digits(contact)
    if len(digits) < 7:
        return None, None
    candidates = db.session.scalars(
        select(Debtor).where(or_(Debtor.phone.like(f"%{digits[-7:]}")))
    ).all()
    for debtor in candidates:
        stored = phone_digits(debtor.phone)
        if stored == digits or stored.endswith(digits) or digits.endswith(stored):
            return debtor, "phone"
    return None, None


def send_link(debtor: Debtor, reason: str) -> bool:
    """Queue a fresh account link to the contact on file (urgent: it leaves within seconds,
    sent by the dispatcher); commits. False when there is no contact.

    A request that matched the debtor's phone is answered by SMS to that phone; anything
    else goes to the email on file, or by SMS when the debtor has only a phone.
    """
    by_sms = bool(debtor.phone) and (reason == "requested_by_phone" or not debtor.email)
    if not by_sms and not debtor.email:
        log.info("no contact on file for debtor %s; link not sent", debtor.id)
        return False
    channel = "sms" if by_sms else "email"
    enqueue(debtor, "signin_link", channel, reason=reason)
    audit.record("system", None, "link.sent", debtor,
                 after={"reason": reason, "channel": channel})
    db.session.commit()
    return True


LINKS_PER_HOUR = 3


def link_requests_exhausted(debtor: Debtor) -> bool:
    """Has this debtor already been sent LINKS_PER_HOUR fresh links in the last hour?

    "Get my link" and "send me a new link" answer the same whatever happens, so without
    this anyone could fill a debtor's inbox from many addresses. Message links (reminders)
    do not count.
    """
    since = datetime.now(UTC) - timedelta(hours=1)
    sent = db.session.scalar(select(func.count()).select_from(Message).where(
        Message.debtor_id == debtor.id, Message.kind == "signin_link",
        Message.created_at >= since))
    return int(sent or 0) >= int(current_app.config.get("LINK_REQUESTS_PER_HOUR",
                                                         LINKS_PER_HOUR))


def send_link_soon(debtor: Debtor, reason: str) -> None:
    """Queue a link: the request only writes one outbox row, so "get my link" takes the same
    time whether or not a contact matched, and no thread runs in the web process."""
    send_link(debtor, reason)


VISIT_EVERY_MINUTES = 10


def record_visit(link: AccessLink, now: datetime | None = None) -> PortalVisit | None:
    """A tap on a link: a PortalVisit (with the message it came from) and the click time.

    At most one visit per link every VISIT_EVERY_MINUTES, claimed with one conditional
    UPDATE, so reloading (or a script hammering the link) adds no rows. None: not recorded.
    """
    now = now or datetime.now(UTC)
    table = AccessLink.__table__
    due = (table.c.last_visit_at.is_(None)) | \
        (table.c.last_visit_at <= now - timedelta(minutes=VISIT_EVERY_MINUTES))
    claimed = db.session.execute(update(table).where(table.c.id == link.id, due)
                                 .values(last_visit_at=now)).rowcount
    if claimed != 1:
        return None
    visit = PortalVisit(debtor_id=link.debtor_id, message_id=link.message_id, visited_at=now)
    db.session.add(visit)
    if link.message_id is not None:
        message = db.session.get(Message, link.message_id)
        if message is not None and message.clicked_at is None:
            message.clicked_at = now
    db.session.flush()
    return visit
