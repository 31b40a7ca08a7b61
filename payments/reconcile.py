"""Reconciliation: apply PaymentIntents that succeeded at Stripe but are missing here, and
repair charges the ledger does not account for.

Webhooks get lost (localstripe never retries them; real Stripe gives up after days). The job
looks two ways: pending (or stuck confirming) local payments are re-read from Stripe, and
recent `payment_intent.succeeded` events are matched to local payments. Outcomes go through
the same idempotent recorders as the webhook, so nothing is applied twice. A succeeded
charge that matches no payment, or a second charge for one payment, is refunded or flagged
for staff (`payments.double_charges`). It also finishes the follow-ups of a success: unsent
receipts and excess refunds. `actions` lists, in words, what it did.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from payments.double_charges import repair
from payments.gateway import GatewayError, GatewayUnavailable, gateway
from payments.receipts import send_receipt
from payments.records import apply_failure, apply_success, payment_for_intent, release_claim
from portal.extensions import db
from portal.models import Payment, utcnow

log = logging.getLogger(__name__)
LOOKBACK = timedelta(days=3)
SETTLE_DELAY = timedelta(minutes=2)
ABANDONED_AFTER = timedelta(days=1)


def _pending_with_intent(now: datetime) -> list[Payment]:
    return list(db.session.scalars(select(Payment).where(
        Payment.status.in_(("pending", "confirming")),
        Payment.stripe_payment_intent_id.is_not(None),
        Payment.updated_at <= now - SETTLE_DELAY)))


def _check_pending(now: datetime) -> dict:
    counts = {"applied": 0, "failed": 0}
    for payment in _pending_with_intent(now):
        intent = gateway().retrieve_payment_intent(payment.stripe_payment_intent_id)
        if intent["status"] == "succeeded" and apply_success(payment, intent["id"]):
            counts["applied"] += 1
        elif intent["status"] in ("requires_payment_method", "canceled"):
            error = intent.get("last_payment_error") or {}
            if apply_failure(payment, error.get("code") or "abandoned", error.get("message")):
                counts["failed"] += 1
        db.session.commit()
    return counts


def _release_stuck_claims(now: datetime) -> int:
    """A confirm whose process died while it held the payment: after the settle delay the
    payment goes back to pending (whatever Stripe did is read on the next pass)."""
    released = 0
    for payment in db.session.scalars(select(Payment).where(
            Payment.status == "confirming",
            Payment.updated_at <= now - SETTLE_DELAY)).all():
        released += release_claim(payment)
    return released


def _close_abandoned(now: datetime) -> int:
    """Card forms opened and never confirmed: after a day they are failed, not pending."""
    closed = 0
    for payment in db.session.scalars(select(Payment).where(
            Payment.status == "pending", Payment.stripe_payment_intent_id.is_(None),
            Payment.method == "card", Payment.created_at <= now - ABANDONED_AFTER)).all():
        closed += apply_failure(payment, "abandoned", None)
    db.session.commit()
    return closed


def _check_events(now: datetime, actions: list[str]) -> int:
    """Apply succeeded intents that belong to a payment here; then repair the others (so a
    payment that two intents paid is first recorded with one, and the other refunded)."""
    applied = 0
    since = int((now - LOOKBACK).timestamp())
    strangers = []
    for event in gateway().list_events("payment_intent.succeeded", since):
        intent = event["data"]["object"]
        payment = payment_for_intent(intent["id"], intent.get("metadata"))
        if payment is None:
            strangers.append(intent)
            continue
        if payment.status in ("pending", "failed") and apply_success(payment, intent["id"]):
            applied += 1
            actions.append(f"applied {intent['id']} to payment {payment.id}")
        db.session.commit()
    for intent in strangers:
        done = repair(intent)
        if done:
            log.warning("succeeded PaymentIntent %s: %s", intent["id"], done)
            actions.append(done)
    return applied


def _follow_ups() -> dict:
    counts = {"receipts": 0, "excess_refunds": 0}
    for payment in db.session.scalars(select(Payment).where(
            Payment.receipt_sent_at.is_(None), Payment.stripe_payment_intent_id.is_not(None),
            Payment.status.in_(("succeeded", "partially_refunded", "refunded")))).all():
        counts["receipts"] += send_receipt(payment)
    for payment in db.session.scalars(select(Payment).where(
            Payment.excess_minor > 0, Payment.excess_refunded_at.is_(None))).all():
        counts["excess_refunds"] += refund_excess(payment)
    return counts


def refund_excess(payment: Payment) -> bool:
    """Give back what a payment brought beyond the balance (once, by idempotency key)."""
    try:
        gateway().refund(payment.stripe_payment_intent_id, payment.excess_minor,
                         f"saldo-excess-{payment.id}", currency=payment.currency)
    except (GatewayUnavailable, GatewayError) as exc:
        log.warning("excess refund for payment %s failed: %s", payment.id, exc)
        return False
    payment.excess_refunded_at = utcnow()
    db.session.commit()
    return True


def reconcile(now: datetime | None = None) -> dict:
    """Repair missed webhooks and finish follow-ups; return what was done."""
    now = now or utcnow()
    actions: list[str] = []
    result = _check_pending(now)
    result["released"] = _release_stuck_claims(now)
    result["applied"] += _check_events(now, actions)
    result["abandoned"] = _close_abandoned(now)
    result.update(_follow_ups())
    result["repaired"] = sum(1 for line in actions if line.startswith("refunded"))
    result["flagged"] = sum(1 for line in actions if not line.startswith(("refunded",
                                                                          "applied")))
    result["actions"] = actions
    return result
