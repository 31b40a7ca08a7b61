"""Reading the audit log: filters from the console's query string, page by page."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, select

from portal.extensions import db
from portal.models import AuditEvent, StaffUser

PAGE_SIZE = 50


@dataclass
class AuditFilters:
    actor: str = ""  # staff email, or "<type>:<id>"
    action: str = ""  # prefix, e.g. "policy." or "dispute.accept"
    target_type: str = ""
    target_id: str = ""
    since: date | None = None
    until: date | None = None

    @classmethod
    def from_args(cls, args) -> tuple[AuditFilters, list[str]]:
        """Filters from a query string, with readable problems for bad dates."""
        problems = []
        dates = {}
        for key in ("since", "until"):
            raw = (args.get(key) or "").strip()
            try:
                dates[key] = date.fromisoformat(raw) if raw else None
            except ValueError:
                dates[key] = None
                problems.append(key)
        return cls(actor=(args.get("actor") or "").strip(),
                   action=(args.get("action") or "").strip(),
                   target_type=(args.get("target_type") or "").strip(),
                   target_id=(args.get("target_id") or "").strip(), **dates), problems


def audit_query(filters: AuditFilters) -> Select:
    """Events matching `filters`, newest first."""
    query = select(AuditEvent).order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    if filters.actor:
        kind, _, ident = filters.actor.partition(":")
        if "@" in filters.actor:
            staff = db.session.scalar(
                select(StaffUser).where(StaffUser.email == filters.actor.lower()))
            query = query.where(AuditEvent.actor_type == "staff",
                                AuditEvent.actor_id == str(staff.id if staff else -1))
        elif ident:
            query = query.where(AuditEvent.actor_type == kind, AuditEvent.actor_id == ident)
        else:
            query = query.where(AuditEvent.actor_type == kind)
    if filters.action:
        query = query.where(AuditEvent.action.startswith(filters.action, autoescape=True))
    if filters.target_type:
        query = query.where(AuditEvent.target_type == filters.target_type)
    if filters.target_id:
        query = query.where(AuditEvent.target_id == filters.target_id)
    if filters.since:
        query = query.where(AuditEvent.occurred_at >= datetime.combine(filters.since, time(),
                                                                       UTC))
    if filters.until:
        end = datetime.combine(filters.until + timedelta(days=1), time(), UTC)
        query = query.where(AuditEvent.occurred_at < end)
    return query


def actor_names() -> dict[str, str]:
    return {str(s.id): s.email for s in db.session.scalars(select(StaffUser))}


def csv_rows(events, names: dict[str, str]):
    for e in events:
        actor = names.get(e.actor_id, e.actor_id) if e.actor_type == "staff" else e.actor_id
        yield [e.id, e.occurred_at.isoformat(), e.actor_type, actor, e.action, e.target_type,
               e.target_id, _json(e.before), _json(e.after), e.ip]


CSV_HEADER = ["id", "occurred_at", "actor_type", "actor", "action", "target_type", "target_id",
              "before", "after", "ip"]


def _json(value) -> str:
    return "" if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False)


def changed_keys(before: dict | None, after: dict | None) -> list[str]:
    """Top-level keys whose value differs between before and after."""
    before, after = before or {}, after or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
