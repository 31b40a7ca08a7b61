"""What Stripe says, checked against what we hold; and the findings kept for staff.

`intent_mismatches` / `charge_mismatches` compare an event's object with the local payment:
amount (in Stripe's units for the currency), currency, customer, our metadata (debtor and
payment ids) and the PaymentIntent id. A webhook that disagrees is not applied: it is
logged and stored as a `PaymentIssue`, which staff see in the console's payment issues list
and on the debtor's timeline. Reconciliation stores what it finds the same way.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from payments.money import to_stripe_amount
from portal.extensions import db
from portal.models import Payment, PaymentIssue

log = logging.getLogger(__name__)


def _id_of(value) -> str | None:
    """Stripe fields that may be an id or the expanded object."""
    if isinstance(value, dict):
        return value.get("id")
    return value


def _common(payment: Payment, obj: dict) -> dict:
    problems: dict = {}
    currency = str(obj.get("currency") or "").upper()
    if currency != payment.currency:
        problems["currency"] = [payment.currency, currency]
    else:
        expected = to_stripe_amount(payment.amount_minor, payment.currency)
        if obj.get("amount") != expected:
            problems["amount"] = [expected, obj.get("amount")]
    customer = _id_of(obj.get("customer"))
    if customer != payment.debtor.stripe_customer_id:
        problems["customer"] = [payment.debtor.stripe_customer_id, customer]
    metadata = obj.get("metadata") or {}
    if "debtor_id" in metadata and str(metadata["debtor_id"]) != str(payment.debtor_id):
        problems["debtor"] = [str(payment.debtor_id), str(metadata["debtor_id"])]
    if "payment_id" in metadata and str(metadata["payment_id"]) != str(payment.id):
        problems["payment"] = [str(payment.id), str(metadata["payment_id"])]
    return problems


def intent_mismatches(payment: Payment, intent: dict) -> dict:
    """{field: [ours, theirs]} where a PaymentIntent disagrees with `payment` ({} if none)."""
    problems = _common(payment, intent)
    if payment.stripe_payment_intent_id not in (None, intent.get("id")):
        problems["payment_intent"] = [payment.stripe_payment_intent_id, intent.get("id")]
    return problems


def charge_mismatches(payment: Payment, charge: dict) -> dict:
    """{field: [ours, theirs]} where a Charge disagrees with `payment` ({} if none)."""
    problems = _common(payment, charge)
    intent = _id_of(charge.get("payment_intent"))
    if intent != payment.stripe_payment_intent_id:
        problems["payment_intent"] = [payment.stripe_payment_intent_id, intent]
    return problems


def flag(kind: str, stripe_ref: str, *, payment: Payment | None = None,
         debtor_id: int | None = None, detail: dict | None = None,
         action: str = "flagged") -> PaymentIssue:
    """Store a finding for staff (once per kind and Stripe reference); the caller commits."""
    issue = db.session.scalar(select(PaymentIssue).where(PaymentIssue.kind == kind,
                                                         PaymentIssue.stripe_ref == stripe_ref))
    if issue is None:
        issue = PaymentIssue(kind=kind, stripe_ref=stripe_ref, detail=detail or {},
                             payment_id=payment.id if payment is not None else None,
                             debtor_id=payment.debtor_id if payment is not None else debtor_id,
                             action=action, status="open")
        db.session.add(issue)
        log.warning("payment issue %s on %s (payment %s): %s", kind, stripe_ref,
                    issue.payment_id, detail)
    elif action != issue.action:
        issue.action = action
        issue.detail = {**(issue.detail or {}), **(detail or {})}
    db.session.flush()
    return issue
