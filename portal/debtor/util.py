"""Small helpers the debtor views share."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import abort, current_app

from portal.auth import current_debtor
from portal.models import Debtor


def debtor_today(debtor: Debtor | None) -> date:
    """Today's date where the debtor lives (falls back to the default time zone)."""
    name = (debtor.timezone if debtor else None) or current_app.config["DEFAULT_TIMEZONE"]
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])
    return datetime.now(zone).date()


def me() -> Debtor:
    debtor = current_debtor()
    if debtor is None:  # pragma: no cover - debtor_required runs first
        abort(401)
    return debtor


def owned_or_404(obj, debtor: Debtor):
    """The object when it belongs to `debtor`; otherwise 404 (never 403: ids stay secret)."""
    if obj is None or getattr(obj, "debtor_id", None) != debtor.id:
        abort(404)
    return obj
