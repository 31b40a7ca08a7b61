"""The payment jobs the scheduler runs (inside an app context): thin wrappers.

`charge_due_installments` runs daily, `reconcile` periodically; both are safe to run twice
or from two schedulers at once (every change is claimed in the database first).
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from payments import plan_service
from payments import reconcile as reconciliation
from payments.gateway import GatewayUnavailable
from portal.extensions import db
from portal.models import utcnow

log = logging.getLogger(__name__)


def charge_due_installments(today: date | None = None) -> dict:
    """Charge every plan instalment due (or due for a retry) on `today`; return counts."""
    today = today or utcnow().date()
    try:
        counts = plan_service.charge_due(today)
    finally:
        db.session.remove()
    log.info("instalments charged", extra={"counts": counts})
    return counts


def reconcile(now: datetime | None = None) -> dict:
    """Apply succeeded PaymentIntents whose webhook was lost; send missing receipts."""
    try:
        result = reconciliation.reconcile(now)
    except GatewayUnavailable as exc:
        db.session.rollback()
        log.warning("reconciliation skipped: Stripe unavailable (%s)", exc)
        result = {"applied": 0, "failed": 0, "abandoned": 0, "receipts": 0, "excess_refunds": 0,
                  "error": "stripe_unavailable"}
    finally:
        db.session.remove()
    return result
