"""Delivering webhooks: claim due deliveries atomically, POST them signed, log every attempt,
retry with backoff for three days.

Claiming is the outbox's pattern (alerts/outbox.py): one UPDATE … WHERE id IN (SELECT …
FOR UPDATE SKIP LOCKED) … RETURNING, so two dispatchers never send one delivery at once,
and a claim whose dispatcher died is taken over after the lease. Every outcome is recorded
with a conditional UPDATE (… WHERE status = 'sending'). A 2xx answer is delivered; anything
else (an error status, a timeout, a refused connection, a private address) is retried at
1, 4, 16, 64 minutes … (at most 8 hours apart) until three days after the event, then failed.
Receivers must de-duplicate on the event id: a crash between their 2xx and our record
sends that delivery again (with the same `id`).
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select, update

from portal.extensions import db
from portal.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent, utcnow
from portal.webhooks.events import envelope
from portal.webhooks.signing import HEADER, sign
from portal.webhooks.targets import TargetError, check_url, resolve

log = logging.getLogger("saldo.webhooks")
RETRY_FOR = timedelta(days=3)
MAX_DELAY = timedelta(hours=8)
LEASE = timedelta(minutes=5)
TIMEOUT_SECONDS = 10
USER_AGENT = "Saldo-Webhooks/1"


def next_attempt(created_at: datetime, attempts: int, now: datetime) -> datetime | None:
    """When to try again after `attempts` failures, or None when three days have passed."""
    delay = min(timedelta(minutes=4 ** max(attempts - 1, 0)), MAX_DELAY)
    when = now + delay
    return when if when <= created_at + RETRY_FOR else None


def claim(now: datetime, batch: int) -> list[int]:
    due = (((WebhookDelivery.status == "pending") & (WebhookDelivery.send_at <= now)) |
           ((WebhookDelivery.status == "sending") & (WebhookDelivery.claimed_at < now - LEASE)))
    chosen = (select(WebhookDelivery.id).where(due).order_by(WebhookDelivery.send_at,
                                                              WebhookDelivery.id)
              .limit(batch).with_for_update(skip_locked=True).cte("picked")
              .prefix_with("MATERIALIZED", dialect="postgresql"))
    ids = db.session.scalars(
        update(WebhookDelivery).where(WebhookDelivery.id.in_(select(chosen.c.id)), due)
        .values(status="sending", claimed_at=now, attempts=WebhookDelivery.attempts + 1)
        .returning(WebhookDelivery.id).execution_options(synchronize_session=False)).all()
    db.session.commit()
    return sorted(ids)


@dataclass
class Outcome:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to an address already checked, with the certificate checked for the host."""

    def __init__(self, host: str, address: str, port: int, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict, timeout: float = TIMEOUT_SECONDS) -> Outcome:
    """POST `body` to `url` through the address check; never raises."""
    started = time.monotonic()
    try:
        scheme, host, port = check_url(url)
        address = resolve(host, port)
        if scheme == "https":
            conn = _PinnedHTTPSConnection(host, address, port, timeout)
        else:
            conn = http.client.HTTPConnection(address, port, timeout=timeout)
        try:
            parts = urlsplit(url)
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            conn.request("POST", path, body=body, headers={**headers, "Host": host if port in (
                80, 443) else f"{host}:{port}"})
            response = conn.getresponse()
            response.read(65536)
            code = response.status
        finally:
            conn.close()
        error = None if 200 <= code < 300 else f"HTTP {code}"
        return Outcome(code, error, int((time.monotonic() - started) * 1000))
    except TargetError as exc:
        return Outcome(None, str(exc)[:500], 0)
    except (OSError, http.client.HTTPException) as exc:
        return Outcome(None, f"{type(exc).__name__}: {exc}"[:500],
                       int((time.monotonic() - started) * 1000))


def send(delivery: WebhookDelivery) -> Outcome:
    endpoint = db.session.get(WebhookEndpoint, delivery.endpoint_id)
    event = db.session.get(WebhookEvent, delivery.event_id)
    body = json.dumps(envelope(event), separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
               HEADER: sign(endpoint.secret, body), "Saldo-Event-Id": f"evt_{event.id}",
               "Saldo-Event-Type": event.type}
    timeout = float(current_app.config.get("WEBHOOKS_TIMEOUT_SECONDS", TIMEOUT_SECONDS))
    return post(endpoint.url, body, headers, timeout)


def record(delivery: WebhookDelivery, outcome: Outcome, now: datetime) -> str:
    """Store the attempt and the delivery's new state; return that state."""
    db.session.add(WebhookAttempt(delivery_id=delivery.id, attempted_at=now,
                                  status_code=outcome.status_code, error=outcome.error,
                                  duration_ms=outcome.duration_ms))
    values = {"last_status_code": outcome.status_code, "last_error": outcome.error}
    if outcome.ok:
        values.update(status="delivered", delivered_at=utcnow())
    else:
        retry_at = next_attempt(delivery.created_at, delivery.attempts, now)
        values.update(status="pending", send_at=retry_at) if retry_at else \
            values.update(status="failed")
    db.session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery.id,
                                                     WebhookDelivery.status == "sending")
                       .values(**values).execution_options(synchronize_session=False))
    db.session.commit()
    return values["status"]


def deliver_due(now: datetime | None = None, batch: int = 50, limit: int = 1000) -> dict:
    """Send every due delivery (the scheduler runs this every minute); return counts."""
    counts = {"delivered": 0, "pending": 0, "failed": 0}
    done = 0
    while done < limit:
        moment = now or utcnow()
        ids = claim(moment, min(batch, limit - done))
        if not ids:
            break
        done += len(ids)
        for delivery in db.session.scalars(select(WebhookDelivery).where(
                WebhookDelivery.id.in_(ids)).order_by(WebhookDelivery.id)).all():
            state = record(delivery, send(delivery), moment)
            counts[state] += 1
            if state != "delivered":
                log.warning("webhook delivery %s: %s", delivery.id, delivery.last_error)
    return counts


def resend(delivery: WebhookDelivery) -> bool:
    """Staff asked to send a delivery again now (delivered or failed ones; not one in flight).
    The next dispatcher run sends it with the same event id."""
    changed = db.session.execute(
        update(WebhookDelivery).where(WebhookDelivery.id == delivery.id,
                                      WebhookDelivery.status.in_(("delivered", "failed")))
        .values(status="pending", send_at=utcnow()).execution_options(
            synchronize_session="fetch")).rowcount
    return bool(changed)
