"""Recording what Stripe says happened to a payment, exactly once.

Every state change is a conditional UPDATE (`… WHERE status IN (…)`, `… WHERE refunded_minor
= <what we read>`): whichever of the browser, the webhook or the reconciliation job gets
there first applies the outcome, and the others see zero rows changed and do nothing. This
holds on SQLite (which ignores `FOR UPDATE`) and PostgreSQL alike: on PostgreSQL the second
UPDATE waits for the first transaction and re-checks its condition; SQLite lets one writer
at a time in. The caller commits.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select, update

from payments.allocation import allocate, release
from portal.audit import record
from portal.extensions import db
from portal.models import Installment, Invoice, Payment, PaymentPlan, utcnow
from portal.webhooks.events import emit

# The states from which Stripe's "succeeded" (or "failed") may still be recorded.
OPEN_STATES = ("pending", "confirming", "failed")
KEPT_STATES = ("succeeded", "partially_refunded", "refunded")


def _today() -> date:
    return utcnow().date()


def apply_success(payment: Payment, payment_intent_id: str | None,
                  received_on: date | None = None) -> bool:
    """Mark `payment` succeeded and allocate it; False when it already was."""
    values = {"status": "succeeded", "received_on": received_on or _today(),
              "failure_code": None, "failure_message": None, "updated_at": utcnow()}
    if payment_intent_id:
        values["stripe_payment_intent_id"] = payment_intent_id
    claimed = db.session.execute(
        update(Payment)
        .where(Payment.id == payment.id, Payment.status.in_(OPEN_STATES),
               # a second PaymentIntent never overwrites the one this payment is paid by
               or_(Payment.stripe_payment_intent_id.is_(None),
                   Payment.stripe_payment_intent_id == (payment_intent_id or
                                                        Payment.stripe_payment_intent_id)))
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        return False
    db.session.refresh(payment)
    installment = db.session.scalar(select(Installment).where(Installment.payment_id ==
                                                              payment.id))
    excess = allocate(payment, payment.received_on,
                      installment.plan_id if installment else None)
    if excess:
        payment.excess_minor = excess
        payment.refunded_minor += excess
        payment.status = _status_for(payment.refunded_minor, payment.amount_minor)
    if installment is not None:
        _installment_paid(installment)
    close_settled_plans({a.invoice.plan_id for a in payment.allocations} - {None})
    record("system", None, "payment.succeeded", payment,
           after={"amount_minor": payment.amount_minor, "currency": payment.currency,
                  "payment_intent": payment_intent_id, "excess_minor": excess})
    emit("payment.succeeded", payment)
    for invoice in sorted({a.invoice for a in payment.allocations}, key=lambda i: i.id):
        if invoice.status == "paid":  # allocation only touches open invoices: paid just now
            emit("invoice.paid", invoice)
    return True


def _installment_paid(installment: Installment) -> None:
    installment.status = "paid"
    installment.next_attempt_on = None
    installment.last_error = None
    plan = installment.plan
    if all(i.status in ("paid", "cancelled") for i in plan.installments) and (
            plan.status == "active"):
        complete_plan(plan, "installments_paid")


def complete_plan(plan: PaymentPlan, reason: str) -> None:
    """An active plan is done: nothing is left to charge."""
    for installment in plan.installments:
        if installment.status != "paid":
            installment.status, installment.next_attempt_on = "cancelled", None
    plan.status, plan.ended_at = "completed", utcnow()
    record("system", None, "plan.completed", plan, after={"reason": reason})
    emit("plan.completed", plan)


def plan_balance(plan_id: int) -> int:
    """What is still owed on the invoices a plan covers."""
    invoices = db.session.scalars(select(Invoice).where(Invoice.plan_id == plan_id,
                                                        Invoice.status == "open"))
    return sum(invoice.balance_minor for invoice in invoices)


def close_settled_plans(plan_ids: set[int]) -> None:
    """Plans whose invoices were paid some other way stop charging: the instalments left
    are cancelled and the plan is completed."""
    for plan_id in sorted(plan_ids):
        plan = db.session.get(PaymentPlan, plan_id)
        if plan is None or plan.status != "active" or plan_balance(plan_id) > 0:
            continue
        complete_plan(plan, "balance_settled")


def claim_for_confirm(payment: Payment) -> bool:
    """Claim a pending payment for one confirm request (pending → confirming), committed
    before Stripe is called; False when another request holds it or it is settled."""
    claimed = db.session.execute(
        update(Payment)
        .where(Payment.id == payment.id, Payment.status == "pending")
        .values(status="confirming", updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    db.session.refresh(payment)
    return bool(claimed)


def release_claim(payment: Payment) -> bool:
    """A confirm that ended without an outcome (the bank's challenge, Stripe unreachable, a
    card that did not belong) puts the payment back to pending, so it can be tried again
    (committed). False when an outcome was recorded meanwhile."""
    db.session.rollback()
    released = db.session.execute(
        update(Payment)
        .where(Payment.id == payment.id, Payment.status == "confirming")
        .values(status="pending", updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    db.session.refresh(payment)
    return bool(released)


def apply_failure(payment: Payment, code: str | None, message: str | None) -> bool:
    """Mark a pending (or confirming) payment failed with Stripe's reason; False when it was
    neither."""
    changed = db.session.execute(
        update(Payment)
        .where(Payment.id == payment.id, Payment.status.in_(("pending", "confirming")))
        .values(status="failed", failure_code=(code or "card_declined")[:64],
                failure_message=message, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed:
        db.session.refresh(payment)
        record("system", None, "payment.failed", payment,
               after={"code": payment.failure_code})
    return bool(changed)


def apply_refund_total(payment: Payment, total_refunded: int) -> int:
    """Stripe says `total_refunded` has been refunded in all; release what is new.

    Idempotent and safe in parallel (see `_raise_refunded`). The total is capped at the
    payment's amount. Returns the amount released back onto the invoices.
    """
    return _raise_refunded(payment, lambda _current: total_refunded, "payment.refunded")


def apply_returned(payment: Payment, amount_minor: int) -> int:
    """`amount_minor` more went back to the card holder (a lost chargeback): release it once
    (the caller claims the event that causes it). Returns the amount released."""
    return _raise_refunded(payment, lambda current: current + amount_minor,
                           "payment.charged_back")


def _raise_refunded(payment: Payment, target, action: str) -> int:
    """Raise the payment's refunded amount to `target(current)` with a compare-and-set on
    the amount read (`… WHERE refunded_minor = <read>`): of two copies of one refund only
    one releases it; a lost race re-reads and releases only what is still new."""
    for _attempt in range(5):
        current = db.session.execute(
            select(Payment.status, Payment.refunded_minor, Payment.amount_minor)
            .where(Payment.id == payment.id)).one()
        if current.status not in KEPT_STATES:
            return 0
        total = min(target(current.refunded_minor), current.amount_minor)
        if total <= current.refunded_minor:
            return 0
        status = _status_for(total, current.amount_minor)
        swapped = db.session.execute(
            update(Payment)
            .where(Payment.id == payment.id, Payment.refunded_minor == current.refunded_minor,
                   Payment.status.in_(KEPT_STATES))
            .values(refunded_minor=total, status=status, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
        if swapped:
            db.session.refresh(payment)
            released = release(payment, total - current.refunded_minor)
            record("system", None, action, payment,
                   after={"refunded_minor": total, "released_minor": released})
            if action == "payment.refunded":
                emit("payment.refunded", payment)
            return released
    raise RuntimeError(f"payment {payment.id}: refund total kept changing under us")


def _status_for(refunded_minor: int, amount_minor: int) -> str:
    if refunded_minor == 0:
        return "succeeded"
    return "refunded" if refunded_minor >= amount_minor else "partially_refunded"


def payment_for_intent(payment_intent_id: str, metadata: dict | None) -> Payment | None:
    """The local payment a PaymentIntent belongs to (by id, else by our metadata)."""
    payment = db.session.scalar(select(Payment).where(
        Payment.stripe_payment_intent_id == payment_intent_id))
    if payment is None and metadata and str(metadata.get("payment_id", "")).isdigit():
        payment = db.session.get(Payment, int(metadata["payment_id"]))
        if payment is not None and payment.stripe_payment_intent_id not in (
                None, payment_intent_id):
            return None
    return payment


def payment_claimed_by(payment_intent_id: str, metadata: dict | None) -> Payment | None:
    """The local payment a PaymentIntent is about: by its id, else by our metadata even when
    that payment is paid by another intent (the webhook then flags the second charge)."""
    payment = db.session.scalar(select(Payment).where(
        Payment.stripe_payment_intent_id == payment_intent_id))
    if payment is None and metadata and str(metadata.get("payment_id", "")).isdigit():
        payment = db.session.get(Payment, int(metadata["payment_id"]))
    return payment
