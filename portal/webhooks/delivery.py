"""Webhook deliveries on the outbox: one `Message` of kind `webhook` per (event, endpoint).

`events.emit` queues them (`alerts.enqueue.enqueue_webhook`); the outbox dispatcher claims
them like every message (UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING,
leases for crashed dispatchers, outcomes recorded with `… WHERE status = 'sending'`), and
the urgent loop sends them within seconds. Here: turning a claimed row into the signed POST
(`prepare_webhooks`, sent by `alerts.channels.webhook`), the retry rule (1, 4, 16, 64
minutes … at most 8 hours apart, until three days after the event, then failed), staff's
resend, and `deliver_due` for the demo and the tests. None of the debtor checks (contact
limits, quiet hours, opt-outs, eligibility) applies: a webhook has no debtor. Receivers
must de-duplicate on the event id: a crash between their 2xx and our record sends that
delivery again (with the same `id`).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import select, update

from alerts.channels import Outgoing
from alerts.retry import retry_at
from portal.extensions import db
from portal.models import Message, WebhookEndpoint, WebhookEvent, utcnow
from portal.webhooks.events import envelope

RETRY_FOR = timedelta(days=3)
MAX_DELAY = timedelta(hours=8)
ENDPOINT_DISABLED = "endpoint_disabled"


def next_attempt(created_at: datetime, attempts: int, now: datetime) -> datetime | None:
    """When to try again after `attempts` failures, or None when three days have passed."""
    return retry_at(attempts, now, retry_until=created_at + RETRY_FOR, max_delay=MAX_DELAY)


def prepare_webhooks(messages: list[Message]) -> list[tuple]:
    """[(message id, attempts, Outgoing or None, cancel reason or None)] for claimed webhook
    rows; a row whose endpoint was switched off meanwhile is cancelled."""
    if not messages:
        return []
    events = {e.id: e for e in db.session.scalars(select(WebhookEvent).where(
        WebhookEvent.id.in_({m.webhook_event_id for m in messages})))}
    endpoints = {e.id: e for e in db.session.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.id.in_({m.webhook_endpoint_id for m in messages})))}
    out = []
    for message in messages:
        endpoint = endpoints[message.webhook_endpoint_id]
        if not endpoint.is_active:
            out.append((message.id, message.attempts, None, ENDPOINT_DISABLED))
            continue
        event = events[message.webhook_event_id]
        body = json.dumps(envelope(event), separators=(",", ":"))
        headers = {"Saldo-Event-Id": f"evt_{event.id}", "Saldo-Event-Type": event.type}
        out.append((message.id, message.attempts, Outgoing(
            message.id, message.dedupe_key, "webhook", endpoint.url, event.type, body,
            headers=headers, secret=endpoint.secret,
            retry_until=message.created_at + RETRY_FOR, max_delay=MAX_DELAY), None))
    return out


def resend(message: Message) -> bool:
    """Staff asked to send a delivery again now (a delivered, failed or cancelled one; not
    one waiting or in flight). The dispatcher sends it with the same event id; the caller
    commits."""
    from alerts.enqueue import wake

    changed = db.session.execute(
        update(Message).where(Message.id == message.id, Message.kind == "webhook",
                              Message.status.in_(("sent", "failed", "cancelled")))
        .values(status="pending", send_at=utcnow(), last_error=None)
        .execution_options(synchronize_session="fetch")).rowcount
    if changed:
        wake()
    return bool(changed)


def deliver_due(now: datetime | None = None, batch: int = 50) -> dict:
    """Run the outbox dispatcher for webhooks only (the demo, tests; the scheduler's urgent
    loop does this continuously): {delivered, pending, failed, cancelled}."""
    from alerts.outbox import dispatch

    counts = dispatch(now=now, batch=batch, kinds=("webhook",))
    return {"delivered": counts["sent"], "pending": counts["retry"],
            "failed": counts["failed"], "cancelled": counts["cancelled"]}
