"""The audit log: who did what, when, to what, with the values before and after.

`record()` adds an AuditEvent to the current session; the caller's transaction commits it
together with the change it describes, so a rolled-back change leaves no audit row.
"""

from __future__ import annotations

from flask import has_request_context, request

from portal.extensions import db
from portal.models import AuditEvent


def client_ip() -> str | None:
    return request.remote_addr if has_request_context() else None


def record(actor_type: str, actor_id, action: str, target=None, *, target_type: str | None = None,
           target_id=None, before: dict | None = None, after: dict | None = None) -> AuditEvent:
    """Add an audit event. `actor_type` is staff, debtor or system; `target` a model or None."""
    if target is not None:
        target_type = target_type or target.__tablename__
        target_id = target_id if target_id is not None else getattr(target, "id", None)
    event = AuditEvent(
        actor_type=actor_type,
        actor_id=None if actor_id is None else str(actor_id),
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        before=before,
        after=after,
        ip=client_ip(),
    )
    db.session.add(event)
    return event
