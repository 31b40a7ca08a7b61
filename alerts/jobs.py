"""The scheduler's alert jobs: thin wrappers around planning and dispatch."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

log = logging.getLogger("saldo.alerts")


def plan_and_dispatch() -> dict:
    """Plan today's reminders (idempotent) and send what is due."""
    from alerts.outbox import dispatch
    from alerts.planner import plan

    result = plan(datetime.now(UTC).date())
    counts = dispatch()
    log.info("alerts: planned %d (%d new), skipped %s; dispatch %s", len(result["planned"]),
             result["written"], result["skipped"], counts)
    return counts


def dispatch_due() -> dict:
    """Send due messages and retries."""
    from alerts.outbox import dispatch

    return dispatch()
