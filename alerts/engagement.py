"""Engagement: opens, clicks, portal visits and payments attributed to messages.

A payment is attributed to the most recent message sent to the same debtor within the 7
days before it was received (last touch). Functions return plain dicts for the staff
dashboard.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, func, select

from portal.extensions import db
from portal.models import Message, Payment, PortalVisit

ATTRIBUTION_DAYS = 7


def _paid_at(payment_date: date | None, created_at: datetime) -> datetime:
    if payment_date is None:
        return created_at
    return datetime.combine(payment_date, time(23, 59, 59), tzinfo=UTC)


def attributed_payments(start: date, end: date) -> list[dict]:
    """Succeeded payments received in [start, end] with the message each is attributed to."""
    payments = db.session.execute(
        select(Payment.id, Payment.debtor_id, Payment.amount_minor, Payment.currency,
               Payment.received_on, Payment.created_at)
        .where(Payment.status.in_(("succeeded", "partially_refunded")),
               func.coalesce(Payment.received_on, func.date(Payment.created_at)) >= start,
               func.coalesce(Payment.received_on, func.date(Payment.created_at)) <= end)
    ).all()
    out = []
    for pid, debtor_id, amount, currency, received_on, created_at in payments:
        paid_at = _paid_at(received_on, created_at)
        message_id = db.session.scalar(
            select(Message.id).where(
                Message.debtor_id == debtor_id, Message.status == "sent",
                Message.sent_at <= paid_at,
                Message.sent_at > paid_at - timedelta(days=ATTRIBUTION_DAYS))
            .order_by(Message.sent_at.desc()).limit(1))
        if message_id is not None:
            out.append({"payment_id": pid, "message_id": message_id, "debtor_id": debtor_id,
                        "amount_minor": amount, "currency": currency})
    return out


def engagement_summary(start: date, end: date) -> dict:
    """Counts per channel for messages sent in [start, end]: sent, opened, clicked, visited,
    and payments attributed (count and amount per currency)."""
    since = datetime.combine(start, time(0), tzinfo=UTC)
    until = datetime.combine(end + timedelta(days=1), time(0), tzinfo=UTC)
    visited = select(PortalVisit.message_id).where(PortalVisit.message_id.is_not(None))
    rows = db.session.execute(
        select(Message.channel, func.count(),
               func.count(Message.opened_at), func.count(Message.clicked_at),
               func.count(Message.id).filter(Message.id.in_(visited)))
        .where(and_(Message.status == "sent", Message.sent_at >= since, Message.sent_at < until,
                    Message.kind != "webhook"))
        .group_by(Message.channel)).all()
    channels = {c: {"sent": s, "opened": o, "clicked": k, "visited": v, "paid": 0}
                for c, s, o, k, v in rows}
    amounts: dict[str, int] = {}
    channel_of = dict(db.session.execute(select(Message.id, Message.channel).where(
        Message.status == "sent", Message.sent_at >= since, Message.sent_at < until)).all())
    for item in attributed_payments(start, end + timedelta(days=ATTRIBUTION_DAYS)):
        channel = channel_of.get(item["message_id"])
        if channel:
            channels[channel]["paid"] += 1
            amounts[item["currency"]] = amounts.get(item["currency"], 0) + item["amount_minor"]
    return {"channels": channels, "attributed_minor": amounts}
