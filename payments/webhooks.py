"""`POST /webhooks/stripe`: verified with the signing secret, applied exactly once.

The event id is stored (StripeEvent) in the same transaction as its effects: a repeated
event finds its row and is a 200 no-op; two copies racing collide on the primary key and
the loser rolls back. Events may come in any order: each handler reads the state it needs
and the recorders only move payments forward.
"""

from __future__ import annotations

import logging

import stripe
from flask import Blueprint, abort, current_app, request
from sqlalchemy.exc import IntegrityError

from payments.gateway import GatewayUnavailable, gateway
from payments.records import apply_failure, apply_refund_total, apply_success, payment_for_intent
from portal.extensions import csrf, db
from portal.models import StripeEvent

bp = Blueprint("payments_webhooks", __name__)
log = logging.getLogger(__name__)


def _intent_succeeded(intent) -> list:
    payment = payment_for_intent(intent["id"], intent.get("metadata"))
    if payment is not None and apply_success(payment, intent["id"]):
        return [payment]
    return []


def _intent_failed(intent) -> list:
    payment = payment_for_intent(intent["id"], intent.get("metadata"))
    if payment is not None and payment.stripe_payment_intent_id in (None, intent["id"]):
        error = intent.get("last_payment_error") or {}
        apply_failure(payment, error.get("decline_code") or error.get("code"),
                      error.get("message"))
    return []


def _charge_refunded(charge) -> list:
    intent_id = charge.get("payment_intent")
    payment = payment_for_intent(intent_id, None) if intent_id else None
    if payment is None:
        return []
    if payment.status in ("pending", "failed"):  # the refund overtook the success event
        intent = gateway().retrieve_payment_intent(intent_id)
        if intent["status"] == "succeeded":
            apply_success(payment, intent_id)
    apply_refund_total(payment, int(charge.get("amount_refunded") or 0))
    return []


HANDLERS = {
    "payment_intent.succeeded": _intent_succeeded,
    "payment_intent.payment_failed": _intent_failed,
    "charge.refunded": _charge_refunded,
}


def webhook_secret() -> str | None:
    """The signing secret, or None when it cannot be trusted: empty, or (in production) the
    built-in local one, which anyone can read in the source and sign fake payments with."""
    from portal.config import Config

    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET") or ""
    if not secret or (current_app.config.get("ENV_NAME") == "production"
                      and secret == Config.STRIPE_WEBHOOK_SECRET):
        return None
    return secret


@bp.post("/webhooks/stripe")
@csrf.exempt
def stripe_webhook():
    payload = request.get_data()
    secret = webhook_secret()
    if secret is None:
        log.error("STRIPE_WEBHOOK_SECRET is not set: Stripe webhook refused")
        abort(400)
    try:
        event = stripe.Webhook.construct_event(
            payload, request.headers.get("Stripe-Signature"), secret).to_dict()
    except (ValueError, stripe.SignatureVerificationError):
        abort(400)
    if db.session.get(StripeEvent, event["id"]) is not None:
        return {"status": "duplicate"}
    handler = HANDLERS.get(event["type"])
    try:
        succeeded = handler(event["data"]["object"]) if handler else []
        db.session.add(StripeEvent(id=event["id"], type=event["type"]))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return {"status": "duplicate"}
    except GatewayUnavailable:
        db.session.rollback()
        return {"status": "retry"}, 503
    _follow_up(succeeded)
    return {"status": "ok"}


def _follow_up(payments: list) -> None:
    from payments.receipts import send_receipt
    from payments.reconcile import refund_excess

    for payment in payments:
        send_receipt(payment)
        if payment.excess_minor and payment.excess_refunded_at is None:
            refund_excess(payment)
