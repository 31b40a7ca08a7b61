"""`POST /webhooks/stripe`: verified, checked against our records, applied exactly once.

1. The signature is verified with the signing secret, and its timestamp must be within the
   tolerance either way (an old replay or a clock far in the future is refused, 400).
2. The body must be an event of the documented shape; a signed but malformed one is a 400.
3. The event id is stored (StripeEvent) first, in the same transaction as its effects: a
   copy of an event already applied collides on that key and is a 200 no-op. Only that
   collision counts as a duplicate; any other database error is a 500 with a log line, so
   Stripe retries.
4. The event's object is checked against the local payment (amount, currency, customer,
   our metadata, intent id). A mismatch is not applied: it is logged and kept for staff
   (`payments.issues`).

Events may come in any order: each handler reads the state it needs and the recorders only
move payments forward, through conditional updates.
"""

from __future__ import annotations

import json
import logging
import time

import stripe
from flask import Blueprint, abort, current_app, request
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from payments.gateway import GatewayUnavailable, gateway
from payments.issues import charge_mismatches, flag, intent_mismatches
from payments.money import from_stripe_amount
from payments.records import (
    apply_failure,
    apply_refund_total,
    apply_success,
    payment_claimed_by,
)
from portal.extensions import csrf, db
from portal.models import StripeEvent

bp = Blueprint("payments_webhooks", __name__)
log = logging.getLogger(__name__)
DEFAULT_TOLERANCE = 300  # seconds, as Stripe's own libraries use


class MalformedEvent(ValueError):
    """A correctly signed body that is not an event we can read."""


def field(obj: dict, name: str, kind: type | tuple, *, optional: bool = False):
    """obj[name] when it has the documented type; MalformedEvent otherwise."""
    value = obj.get(name)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, kind):
        raise MalformedEvent(f"{obj.get('object', 'object')}.{name} is missing or not "
                             f"{getattr(kind, '__name__', kind)}")
    return value


def _read_intent(intent: dict) -> dict:
    field(intent, "id", str)
    field(intent, "amount", int)
    field(intent, "currency", str)
    field(intent, "metadata", dict, optional=True)
    return intent


def _mismatch(event: dict, payment, problems: dict, kind: str = "mismatch") -> str:
    flag(kind, event["id"], payment=payment,
         detail={"event_type": event["type"], "fields": problems})
    return "mismatch"


def _intent_succeeded(intent: dict, event: dict) -> tuple[str, list]:
    payment = payment_claimed_by(_read_intent(intent)["id"], intent.get("metadata"))
    if payment is None:
        return "ignored", []
    problems = intent_mismatches(payment, intent)
    if problems:
        return _mismatch(event, payment, problems), []
    if apply_success(payment, intent["id"]):
        return "ok", [payment]
    return "ok", []


def _intent_failed(intent: dict, event: dict) -> tuple[str, list]:
    payment = payment_claimed_by(_read_intent(intent)["id"], intent.get("metadata"))
    if payment is None:
        return "ignored", []
    problems = intent_mismatches(payment, intent)
    if problems:
        return _mismatch(event, payment, problems), []
    error = intent.get("last_payment_error") or {}
    apply_failure(payment, error.get("decline_code") or error.get("code"), error.get("message"))
    return "ok", []


def _charge_refunded(charge: dict, event: dict) -> tuple[str, list]:
    field(charge, "id", str)
    field(charge, "amount", int)
    field(charge, "currency", str)
    refunded = field(charge, "amount_refunded", int)
    intent_id = field(charge, "payment_intent", str, optional=True)
    payment = payment_claimed_by(intent_id, None) if intent_id else None
    if payment is None:
        return "ignored", []
    problems = charge_mismatches(payment, charge)
    if refunded < 0 or refunded > charge["amount"]:
        problems["amount_refunded"] = [charge["amount"], refunded]
    if problems:
        return _mismatch(event, payment, problems), []
    if payment.status in ("pending", "confirming", "failed"):  # refund overtook the success
        intent = gateway().retrieve_payment_intent(intent_id)
        if intent["status"] == "succeeded":
            apply_success(payment, intent_id)
    apply_refund_total(payment, from_stripe_amount(refunded, payment.currency))
    return "ok", []


def _charge_dispute(dispute: dict, event: dict) -> tuple[str, list]:
    """charge.dispute.created|updated|closed: see `payments.chargebacks`."""
    from payments.chargebacks import apply_dispute

    field(dispute, "id", str)
    field(dispute, "amount", int)
    field(dispute, "currency", str)
    field(dispute, "status", str)
    field(dispute, "charge", (str, dict))
    field(dispute, "payment_intent", (str, dict), optional=True)
    return apply_dispute(dispute, event), []


HANDLERS = {
    "payment_intent.succeeded": _intent_succeeded,
    "payment_intent.payment_failed": _intent_failed,
    "charge.refunded": _charge_refunded,
    "charge.dispute.created": _charge_dispute,
    "charge.dispute.updated": _charge_dispute,
    "charge.dispute.closed": _charge_dispute,
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


def verified_event(payload: bytes, header: str | None, secret: str) -> dict:
    """The event in `payload` once its signature and timestamp check out (else abort 400)."""
    tolerance = int(current_app.config.get("STRIPE_WEBHOOK_TOLERANCE", DEFAULT_TOLERANCE))
    try:
        text = payload.decode("utf-8")
        stripe.WebhookSignature.verify_header(text, header or "", secret, tolerance)
        stamp = int(dict(part.split("=", 1) for part in (header or "").split(",")
                         if "=" in part)["t"])
    except (ValueError, KeyError, stripe.SignatureVerificationError):
        abort(400)
    if stamp > time.time() + tolerance:
        log.warning("Stripe webhook refused: signed %ss in the future", stamp - int(time.time()))
        abort(400)
    try:
        event = json.loads(text)
        if not isinstance(event, dict):
            raise MalformedEvent("the body is not a JSON object")
        field(event, "id", str)
        field(event, "type", str)
        field(field(event, "data", dict), "object", dict)
    except (ValueError, MalformedEvent) as exc:
        log.warning("Stripe webhook refused: malformed event (%s)", exc)
        abort(400)
    return event


def _store_event(event: dict) -> bool:
    """Store the event id; False when it was stored already (a duplicate). Any other
    database error propagates."""
    try:
        db.session.add(StripeEvent(id=event["id"][:255], type=event["type"][:64]))
        db.session.flush()
        return True
    except IntegrityError:
        db.session.rollback()
        if db.session.get(StripeEvent, event["id"][:255]) is not None:
            return False
        raise


@bp.post("/webhooks/stripe")
@csrf.exempt
def stripe_webhook():
    secret = webhook_secret()
    if secret is None:
        log.error("STRIPE_WEBHOOK_SECRET is not set: Stripe webhook refused")
        abort(400)
    event = verified_event(request.get_data(), request.headers.get("Stripe-Signature"), secret)
    handler = HANDLERS.get(event["type"])
    try:
        if not _store_event(event):
            return {"status": "duplicate"}
        status, succeeded = handler(event["data"]["object"], event) if handler else (
            "ignored", [])
        db.session.commit()
    except MalformedEvent as exc:
        db.session.rollback()
        log.warning("Stripe webhook %s refused: malformed %s (%s)", event["id"],
                    event["type"], exc)
        return {"status": "malformed"}, 400
    except GatewayUnavailable:
        db.session.rollback()
        return {"status": "retry"}, 503
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("Stripe webhook %s (%s) not applied: database error; Stripe will "
                      "retry", event["id"], event["type"])
        return {"status": "error"}, 500
    _follow_up(succeeded)
    return {"status": status}


def _follow_up(payments: list) -> None:
    from payments.receipts import send_receipt
    from payments.reconcile import refund_excess

    for payment in payments:
        send_receipt(payment)
        if payment.excess_minor and payment.excess_refunded_at is None:
            refund_excess(payment)
