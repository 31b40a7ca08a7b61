"""Refunds started by staff: Stripe first (with an idempotency key), then the ledger.

The ledger change goes through `apply_refund_total`, the same idempotent recorder the
`charge.refunded` webhook uses, so the webhook that follows changes nothing.
"""

from __future__ import annotations

from payments.gateway import gateway
from payments.records import apply_refund_total
from portal.audit import record
from portal.extensions import db
from portal.models import Payment


class RefundError(ValueError):
    """The refund is not possible (wrong state or amount)."""


def refund_payment(payment: Payment, amount_minor: int | None = None, *,
                   staff_id: int | None = None) -> int:
    """Refund `amount_minor` (default: all that is left) of a card payment; reopen the
    invoices it paid. Returns the amount released back onto invoices."""
    if payment.status not in ("succeeded", "partially_refunded"):
        raise RefundError(f"payment {payment.id} is {payment.status}; nothing to refund")
    if not payment.stripe_payment_intent_id:
        raise RefundError(f"payment {payment.id} was not made through Stripe")
    left = payment.amount_minor - payment.refunded_minor
    amount = left if amount_minor is None else amount_minor
    if not 0 < amount <= left:
        raise RefundError(f"the refund must be between 1 and {left} minor units")
    gateway().refund(payment.stripe_payment_intent_id, amount,
                     f"saldo-refund-{payment.id}-{payment.refunded_minor}-{amount}",
                     currency=payment.currency)
    released = apply_refund_total(payment, payment.refunded_minor + amount)
    record("staff" if staff_id else "system", staff_id, "payment.refund", payment,
           after={"amount_minor": amount})
    db.session.commit()
    return released
