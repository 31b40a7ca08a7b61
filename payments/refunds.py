"""Refunds started by staff (console or `saldo payments refund`): Stripe first, then the
ledger, one refund of a payment at a time.

The payment is claimed before Stripe is called (`refund_claimed_at` set by a conditional
update, committed), so two staff members — or a double-clicked confirmation — never ask
Stripe for two refunds; the other is told one is in progress. A confirmation may also carry
the refunded amount it was shown (`expected_refunded`): if the payment changed since, it is
refused instead of refunding on stale figures. The ledger change goes through
`apply_refund_total`, the same idempotent recorder the `charge.refunded` webhook uses, so
the webhook that follows changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, update

from payments.gateway import gateway
from payments.records import apply_refund_total
from portal.audit import record
from portal.extensions import db
from portal.models import Payment, utcnow

REFUNDABLE = ("succeeded", "partially_refunded")
CLAIM_EXPIRES = timedelta(minutes=5)  # a claim left by a crashed process


class RefundError(ValueError):
    """The refund is not possible (wrong state or amount)."""


class RefundBusy(RefundError):
    """Another refund of this payment is being asked of Stripe right now."""


def refundable_minor(payment: Payment) -> int:
    """What is left to refund (0 when the payment cannot be refunded)."""
    if payment.status not in REFUNDABLE or not payment.stripe_payment_intent_id:
        return 0
    return payment.amount_minor - payment.refunded_minor


def _claim(payment: Payment, expected_refunded: int | None) -> bool:
    now = utcnow()
    conditions = [Payment.id == payment.id, Payment.status.in_(REFUNDABLE),
                  or_(Payment.refund_claimed_at.is_(None),
                      Payment.refund_claimed_at < now - CLAIM_EXPIRES)]
    if expected_refunded is not None:
        conditions.append(Payment.refunded_minor == expected_refunded)
    claimed = db.session.execute(update(Payment).where(*conditions)
                                 .values(refund_claimed_at=now)
                                 .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    db.session.refresh(payment)
    return bool(claimed)


def _release(payment: Payment) -> None:
    db.session.execute(update(Payment).where(Payment.id == payment.id)
                       .values(refund_claimed_at=None)
                       .execution_options(synchronize_session=False))


def refund_payment(payment: Payment, amount_minor: int | None = None, *,
                   staff_id: int | None = None, expected_refunded: int | None = None) -> int:
    """Refund `amount_minor` (default: all that is left) of a card payment; reopen the
    invoices it paid. Returns the amount released back onto invoices."""
    if payment.status not in REFUNDABLE:
        raise RefundError(f"payment {payment.id} is {payment.status}; nothing to refund")
    if not payment.stripe_payment_intent_id:
        raise RefundError(f"payment {payment.id} was not made through Stripe")
    if not _claim(payment, expected_refunded):
        if payment.refund_claimed_at is not None:
            raise RefundBusy(f"a refund of payment {payment.id} is already in progress")
        raise RefundError(f"payment {payment.id} changed meanwhile (now {payment.status}, "
                          f"{payment.refunded_minor} refunded); review it again")
    try:
        left = payment.amount_minor - payment.refunded_minor
        amount = left if amount_minor is None else amount_minor
        if not 0 < amount <= left:
            raise RefundError(f"the refund must be between 1 and {left} minor units")
        gateway().refund(payment.stripe_payment_intent_id, amount,
                         f"saldo-refund-{payment.id}-{payment.refunded_minor}-{amount}",
                         currency=payment.currency)
    except BaseException:
        db.session.rollback()
        _release(payment)
        db.session.commit()
        raise
    released = apply_refund_total(payment, payment.refunded_minor + amount)
    _release(payment)
    record("staff" if staff_id else "system", staff_id, "payment.refund", payment,
           after={"amount_minor": amount, "currency": payment.currency,
                  "released_minor": released})
    db.session.commit()
    return released
