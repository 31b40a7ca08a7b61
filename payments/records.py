"""Recording what Stripe says happened to a payment, exactly once.

Every state change is a conditional UPDATE (`… WHERE status IN (…)`): whichever of the
browser, the webhook or the reconciliation job gets there first applies the outcome, and the
others see zero rows changed and do nothing. The caller commits.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update

from payments.allocation import allocate, release
from portal.audit import record
from portal.extensions import db
from portal.models import Installment, Invoice, Payment, PaymentPlan, utcnow
from portal.webhooks.events import emit


def _today() -> date:
    return utcnow().date()


def _refund_status(payment: Payment) -> str:
    if payment.refunded_minor == 0:
        return "succeeded"
    if payment.refunded_minor >= payment.amount_minor:
        return "refunded"
    return "partially_refunded"


def apply_success(payment: Payment, payment_intent_id: str | None,
                  received_on: date | None = None) -> bool:
    """Mark `payment` succeeded and allocate it; False when it already was."""
    values = {"status": "succeeded", "received_on": received_on or _today(),
              "failure_code": None, "failure_message": None, "updated_at": utcnow()}
    if payment_intent_id:
        values["stripe_payment_intent_id"] = payment_intent_id
    claimed = db.session.execute(
        update(Payment)
        .where(Payment.id == payment.id, Payment.status.in_(("pending", "failed")))
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
        payment.status = _refund_status(payment)
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


def apply_failure(payment: Payment, code: str | None, message: str | None) -> bool:
    """Mark a pending payment failed with Stripe's reason; False when it was not pending."""
    changed = db.session.execute(
        update(Payment)
        .where(Payment.id == payment.id, Payment.status == "pending")
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

    Idempotent: a repeated or older refund total changes nothing. Returns the amount
    released back onto the invoices.
    """
    locked = db.session.scalar(select(Payment).where(Payment.id == payment.id)
                               .with_for_update().execution_options(populate_existing=True))
    total = min(total_refunded, locked.amount_minor)
    if locked.status not in ("succeeded", "partially_refunded", "refunded"):
        return 0
    delta = total - locked.refunded_minor
    if delta <= 0:
        return 0
    released = release(locked, delta)
    locked.refunded_minor = total
    locked.status = _refund_status(locked)
    record("system", None, "payment.refunded", locked,
           after={"refunded_minor": total, "released_minor": released})
    emit("payment.refunded", locked)
    return released


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
