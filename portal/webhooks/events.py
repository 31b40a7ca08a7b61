"""`emit(event, payload)`: record an event and queue one outbox message (kind `webhook`) per
endpoint that wants it.

Called inside the operation's transaction (the caller commits), so an event exists exactly
when its effect was committed, and a rolled-back operation reports nothing. The payload is a
dict, or a model instance shown the way the API shows it (an invoice as `GET
/api/v1/invoices/{id}` returns it), snapshotted now. Without a listening endpoint nothing is
stored at all.
"""

from __future__ import annotations

from sqlalchemy import select

from alerts.enqueue import enqueue_webhook
from portal.extensions import db
from portal.models import (
    Debtor,
    Dispute,
    InboundMessage,
    Invoice,
    Payment,
    PaymentPlan,
    PromiseToPay,
    WebhookEndpoint,
    WebhookEvent,
    utcnow,
)
from portal.webhooks import EVENTS


def _schemas() -> dict:
    from portal.api import schemas, schemas_read

    return {Payment: ("payment", schemas.PaymentOut), Invoice: ("invoice", schemas.InvoiceOut),
            Debtor: ("debtor", schemas.DebtorOut),
            PromiseToPay: ("promise", schemas_read.PromiseOut),
            Dispute: ("dispute", schemas_read.DisputeOut),
            PaymentPlan: ("plan", schemas_read.PlanOut)}


def as_payload(obj) -> dict:
    """A model as the API shows it, with `object` naming its kind; dicts pass through."""
    if isinstance(obj, dict):
        return obj
    if isinstance(obj, InboundMessage):  # as in GET /api/v1/conversations/{id}
        from portal.api.schemas_read import ConversationMessageOut, inbound_item

        debtor = db.session.get(Debtor, obj.debtor_id) if obj.debtor_id else None
        item = inbound_item(obj, debtor.external_id if debtor else None)
        return {"object": "reply", **ConversationMessageOut().dump(item)}
    kind, schema = _schemas()[type(obj)]
    return {"object": kind, **schema().dump(obj)}


def listening(event: str) -> list[WebhookEndpoint]:
    endpoints = db.session.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.is_active.is_(True)).order_by(WebhookEndpoint.id))
    return [e for e in endpoints if event in (e.events or [])]


def emit(event: str, payload) -> WebhookEvent | None:
    """Queue `event` for every endpoint subscribed to it; None when nobody listens."""
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    endpoints = listening(event)
    if not endpoints:
        return None
    now = utcnow()
    row = WebhookEvent(type=event, payload=as_payload(payload), created_at=now)
    db.session.add(row)
    db.session.flush()
    for endpoint in endpoints:
        enqueue_webhook(row.id, endpoint.id, event, now)
    return row


def envelope(event: WebhookEvent) -> dict:
    """What is POSTed: Stripe-like `{id, type, created_at, data: {object}}`."""
    return {"id": f"evt_{event.id}", "type": event.type,
            "created_at": event.created_at.isoformat(), "data": {"object": event.payload}}
