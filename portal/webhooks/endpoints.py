"""Webhook endpoints as staff register them: URL (checked), events, a generated secret.
Audited; the caller commits."""

from __future__ import annotations

from portal.audit import record
from portal.extensions import db
from portal.models import WebhookEndpoint
from portal.webhooks import EVENTS
from portal.webhooks.signing import new_secret
from portal.webhooks.targets import TargetError, validate


class EndpointError(ValueError):
    """The endpoint cannot be registered as asked; the message says why."""


def create_endpoint(url: str, events: list[str], *, description: str | None = None,
                    staff_id: int | None = None, actor_type: str = "staff") -> WebhookEndpoint:
    url = (url or "").strip()
    try:
        validate(url)
    except TargetError as exc:
        raise EndpointError(str(exc)) from exc
    chosen = [e for e in EVENTS if e in set(events or [])]
    if not chosen or len(chosen) != len(set(events)):
        raise EndpointError("choose at least one event from the list")
    endpoint = WebhookEndpoint(url=url, events=chosen, secret=new_secret(),
                               description=(description or "").strip()[:200] or None,
                               is_active=True, created_by_id=staff_id)
    db.session.add(endpoint)
    db.session.flush()
    record(actor_type, staff_id, "webhook_endpoint.created", endpoint,
           after={"url": url, "events": chosen})
    return endpoint


def set_active(endpoint: WebhookEndpoint, active: bool, *, staff_id: int | None = None) -> None:
    if endpoint.is_active == active:
        return
    endpoint.is_active = active
    record("staff", staff_id, "webhook_endpoint.enabled" if active else
           "webhook_endpoint.disabled", endpoint, after={"url": endpoint.url})
