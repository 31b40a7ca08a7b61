"""Charges at Stripe that our ledger does not account for, found and repaired.

Reconciliation reads the PaymentIntents that succeeded at Stripe recently. One that belongs
to a payment here is applied as usual (`payments.reconcile`). The rest are repaired:

- a second charge for one payment (our metadata names a payment that is already paid by
  another PaymentIntent) is refunded in full;
- a charge Saldo made (our metadata, one of our debtors' customers) that matches no payment
  here is refunded in full;
- anything else (a charge another system made on the same Stripe account, a payment still
  open under another intent) is left alone and flagged for staff: refunding it is not ours
  to decide.

Each finding is a `PaymentIssue` (once per charge) with an audit entry. The refund is asked
only while Stripe shows something left to refund on that charge, so running twice, or a
crash between the refund and the commit, never refunds twice.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from payments.gateway import GatewayError, gateway
from payments.issues import flag
from payments.records import KEPT_STATES
from portal.audit import record
from portal.extensions import db
from portal.models import Debtor, Payment, PaymentIssue

log = logging.getLogger(__name__)


def _charge_of(intent: dict) -> dict | None:
    charge = intent.get("latest_charge")
    if isinstance(charge, dict):
        return charge
    return gateway().client.v1.charges.retrieve(charge).to_dict() if charge else None


def _ours(intent: dict) -> bool:
    """Made by Saldo: our metadata, and a customer that is one of our debtors."""
    metadata = intent.get("metadata") or {}
    customer = intent.get("customer")
    if not ({"payment_id", "debtor_id"} & set(metadata)) or not customer:
        return False
    return db.session.scalar(select(Debtor.id).where(
        Debtor.stripe_customer_id == customer)) is not None


def classify(intent: dict) -> tuple[str, Payment | None]:
    """('double_charge' | 'unmatched_charge', the payment it names or None), with 'flag'
    instead when refunding is not safe; ('ok', payment) when the ledger accounts for it."""
    mine = db.session.scalar(select(Payment).where(
        Payment.stripe_payment_intent_id == intent["id"]))
    if mine is not None:
        return "ok", mine
    payment_id = str((intent.get("metadata") or {}).get("payment_id", ""))
    payment = db.session.get(Payment, int(payment_id)) if payment_id.isdigit() else None
    if payment is not None and payment.stripe_payment_intent_id is None:
        return "ok", payment  # not recorded yet: applied by the usual path
    if payment is not None and payment.status in KEPT_STATES and _ours(intent):
        return "double_charge", payment
    if payment is None and _ours(intent):
        return "unmatched_charge", None
    return "flag", payment


def repair(intent: dict) -> str | None:
    """Refund or flag one succeeded PaymentIntent the ledger does not account for; return
    a line saying what was done (None when nothing was needed)."""
    verdict, payment = classify(intent)
    if verdict == "ok":
        return None
    charge = _charge_of(intent)
    if charge is None:
        return None
    kind = verdict if verdict != "flag" else (
        "double_charge" if payment is not None else "unmatched_charge")
    existing = db.session.scalar(select(PaymentIssue).where(
        PaymentIssue.kind == kind, PaymentIssue.stripe_ref == charge["id"]))
    if existing is not None and (existing.action == "refunded" or verdict == "flag"):
        return None
    detail = {"payment_intent": intent["id"], "amount": intent.get("amount"),
              "currency": str(intent.get("currency", "")).upper(),
              "customer": intent.get("customer")}
    left = int(charge.get("amount") or 0) - int(charge.get("amount_refunded") or 0)
    debtor_id = _debtor_of(intent, payment)
    if verdict == "flag" or left <= 0:
        issue = flag(kind, charge["id"], payment=payment, debtor_id=debtor_id, detail=detail,
                     action="refunded" if left <= 0 and verdict != "flag" else "flagged")
        _audit(issue, detail)
        db.session.commit()
        return f"flagged {intent['id']} ({kind}) for staff" if issue.action == "flagged" \
            else None
    try:  # amounts here are Stripe's own (the charge's), so no conversion
        gateway().refund(intent["id"], left, f"saldo-{kind}-{charge['id']}")
    except GatewayError as exc:
        log.warning("refund of %s (%s) failed: %s", intent["id"], kind, exc)
        issue = flag("refund_failed", charge["id"], payment=payment, debtor_id=debtor_id,
                     detail={**detail, "error": str(exc), "finding": kind})
        _audit(issue, detail)
        db.session.commit()
        return f"could not refund {intent['id']} ({kind}): flagged for staff"
    issue = flag(kind, charge["id"], payment=payment, debtor_id=debtor_id,
                 detail={**detail, "refunded": left}, action="refunded")
    _audit(issue, {**detail, "refunded": left})
    db.session.commit()
    return (f"refunded {intent['id']} ({kind.replace('_', ' ')}"
            f"{f' for payment {payment.id}' if payment else ''}): {left} "
            f"{detail['currency']} (Stripe units)")


def _debtor_of(intent: dict, payment: Payment | None) -> int | None:
    if payment is not None:
        return payment.debtor_id
    return db.session.scalar(select(Debtor.id).where(
        Debtor.stripe_customer_id == intent.get("customer")))


def _audit(issue: PaymentIssue, detail: dict) -> None:
    record("system", None, f"payment_issue.{issue.kind}.{issue.action}", issue,
           after=detail)
