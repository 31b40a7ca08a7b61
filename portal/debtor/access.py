"""Getting into the portal: fresh links sent only to the contact on file, contact lookup,
the visit record of a link tap.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
from datetime import UTC, datetime, timedelta

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update

from portal import audit
from portal.extensions import db
from portal.i18n import ui_language
from portal.links import account_url
from portal.mailer import MailError, build_email, send_email
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
    """Send a fresh account link to the contact on file; commits the link. False if none.

    A request that matched the debtor's phone is answered by SMS to that phone; anything
    else goes to the email on file, or by SMS when the debtor has only a phone.
    """
    by_sms = bool(debtor.phone) and (reason == "requested_by_phone" or not debtor.email)
    if not by_sms and not debtor.email:
        log.info("no contact on file for debtor %s; link not sent", debtor.id)
        return False
    url = account_url(debtor)
    audit.record("system", None, "link.sent", debtor,
                 after={"reason": reason, "channel": "sms" if by_sms else "email"})
    db.session.commit()
    with force_locale(ui_language(debtor.locale) or "es"):
        if by_sms:
            text = _("Your link to your account: %(url)s", url=url)
        else:
            subject = _("Your link to your account")
            body = render_template("debtor/email/link.txt", debtor=debtor, url=url)
    if by_sms:
        return _send_sms(debtor, text)
    try:
        send_email(build_email(debtor.email, subject, body))
    except MailError as exc:
        log.warning("could not email a link to debtor %s: %s", debtor.id, exc)
        return False
    return True


def _send_sms(debtor: Debtor, text: str) -> bool:
    """Through the configured SMS adapter (a Twilio-compatible API, or the outbox recorder)."""
    from alerts.channels import ChannelError, Outgoing, channel_for

    channel = channel_for("sms", current_app.config)
    try:
        channel.send(Outgoing(message_id=0, dedupe_key=f"link:{debtor.id}:{secrets.token_hex(8)}",
                              channel="sms", to=debtor.phone, subject="", text=text))
    except ChannelError as exc:
        log.warning("could not text a link to debtor %s: %s", debtor.id, exc)
        return False
    finally:
        channel.close()
    return True


LINKS_PER_HOUR = 3


def link_requests_exhausted(debtor: Debtor) -> bool:
    """Has this debtor already been sent LINKS_PER_HOUR fresh links in the last hour?

    "Get my link" and "send me a new link" answer the same whatever happens, so without
    this anyone could fill a debtor's inbox from many addresses. Message links (reminders)
    do not count.
    """
    since = datetime.now(UTC) - timedelta(hours=1)
    sent = db.session.scalar(select(func.count()).select_from(AccessLink).where(
        AccessLink.debtor_id == debtor.id, AccessLink.purpose == "account",
        AccessLink.message_id.is_(None), AccessLink.created_at >= since))
    return int(sent or 0) >= int(current_app.config.get("LINK_REQUESTS_PER_HOUR",
                                                         LINKS_PER_HOUR))


def send_link_soon(debtor: Debtor, reason: str) -> None:
    """Send a link without making the caller wait (LINK_MAIL_ASYNC): the "get my link" answer
    then takes the same time whether or not a contact matched."""
    if not current_app.config.get("LINK_MAIL_ASYNC"):
        send_link(debtor, reason)
        return
    app = current_app._get_current_object()

    def run(debtor_id: int) -> None:
        with app.app_context():
            try:
                found = db.session.get(Debtor, debtor_id)
                if found is not None:
                    send_link(found, reason)
            finally:
                db.session.remove()

    threading.Thread(target=run, args=(debtor.id,), name="send-link", daemon=True).start()


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
