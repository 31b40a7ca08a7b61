"""Promises to pay: made by a debtor within the policy window; kept or broken the day after.

While a promise is open the alert scheduler pauses reminders for its invoice until the
promised date. `mark_broken_promises(today)` runs daily from the scheduler.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from portal import audit
from portal.extensions import db
from portal.models import Invoice, Payment, PaymentAllocation, PromiseToPay
from portal.webhooks.events import emit


class PromiseError(ValueError):
    """The promise cannot be made; `code` names the rule that refused it."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code  # closed | disputed | too_early | too_late | amount


def window_days() -> int:
    from alerts.settings import current_policy

    return current_policy().promise_window_days


def promise_bounds(today: date) -> tuple[date, date]:
    """First and last date a promise made today may name."""
    return today, today + timedelta(days=window_days())


def make_promise(invoice: Invoice, promised_on: date, amount_minor: int,
                 today: date) -> PromiseToPay:
    """Record a promise for `invoice` (replacing an open one); audit it; the caller commits."""
    if invoice.status != "open" or invoice.balance_minor <= 0:
        raise PromiseError("closed")
    if invoice.disputed:
        raise PromiseError("disputed")
    first, last = promise_bounds(today)
    if promised_on < first:
        raise PromiseError("too_early")
    if promised_on > last:
        raise PromiseError("too_late")
    if amount_minor <= 0 or amount_minor > invoice.balance_minor:
        raise PromiseError("amount")
    promise = _replace_open_promise(invoice, promised_on, amount_minor)
    audit.record("debtor", invoice.debtor_id, "promise.created", promise,
                 after={"invoice": invoice.external_id, "promised_on": promised_on.isoformat(),
                        "amount_minor": amount_minor, "currency": invoice.currency})
    emit("promise.created", promise)
    return promise


def _replace_open_promise(invoice: Invoice, promised_on: date,
                          amount_minor: int) -> PromiseToPay:
    """Cancel the invoice's open promise and insert the new one. A partial unique index keeps
    one open promise per invoice: when another request inserted one at the same moment (its
    insert commits first and ours fails), ours cancels that one and takes its place, so the
    last promise made is the one that stands and never two."""
    for attempt in (1, 2):
        try:
            with db.session.begin_nested():
                now = datetime.now(UTC)
                db.session.execute(
                    update(PromiseToPay)
                    .where(PromiseToPay.invoice_id == invoice.id, PromiseToPay.status == "open")
                    .values(status="cancelled", resolved_at=now)
                    .execution_options(synchronize_session="fetch"))
                promise = PromiseToPay(debtor_id=invoice.debtor_id, invoice_id=invoice.id,
                                       promised_on=promised_on, amount_minor=amount_minor,
                                       currency=invoice.currency, status="open")
                db.session.add(promise)
                db.session.flush()
                return promise
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def paid_since(promise: PromiseToPay) -> int:
    """Minor units applied to the promise's invoice since the promise was made."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(PaymentAllocation.amount_minor), 0))
        .join(Payment, Payment.id == PaymentAllocation.payment_id)
        .where(PaymentAllocation.invoice_id == promise.invoice_id,
               PaymentAllocation.created_at >= promise.created_at,
               Payment.status.in_(("succeeded", "partially_refunded")))
    )
    return int(total or 0)


def keep_promises(invoice_ids) -> int:
    """Close the open promises on invoices just paid in full as kept (one conditional
    update, so a promise is closed once however many payments race). Called wherever an
    invoice becomes paid: payment allocation and the ledger import. Returns how many."""
    ids = sorted({i for i in invoice_ids if i is not None})
    if not ids:
        return 0
    kept = db.session.execute(
        update(PromiseToPay)
        .where(PromiseToPay.invoice_id.in_(ids), PromiseToPay.status == "open")
        .values(status="kept", resolved_at=datetime.now(UTC))
        .returning(PromiseToPay.id)
        .execution_options(synchronize_session=False)).scalars().all()
    for promise_id in kept:
        audit.record("system", None, "promise.kept", target_type="promise_to_pay",
                     target_id=promise_id, after={"reason": "invoice_paid"})
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, PromiseToPay) and obj.id in kept:
            db.session.expire(obj)
    for promise_id in kept:
        emit("promise.kept", db.session.get(PromiseToPay, promise_id))
    return len(kept)


def mark_broken_promises(today: date) -> int:
    """Settle open promises whose date has passed: kept if paid, else broken.

    Returns how many were marked broken. Runs in the scheduler; commits its own work.
    """
    due = db.session.scalars(
        select(PromiseToPay)
        .where(PromiseToPay.status == "open", PromiseToPay.promised_on < today)
        .order_by(PromiseToPay.id)
    ).all()
    broken = 0
    now = datetime.now(UTC)
    for promise in due:
        invoice = db.session.get(Invoice, promise.invoice_id)
        kept = invoice is None or invoice.balance_minor <= 0 or invoice.status != "open" \
            or paid_since(promise) >= promise.amount_minor
        promise.status = "kept" if kept else "broken"
        promise.resolved_at = now
        broken += 0 if kept else 1
        audit.record("system", None, f"promise.{promise.status}", promise,
                     after={"promised_on": promise.promised_on.isoformat()})
        emit(f"promise.{promise.status}", promise)
    db.session.commit()
    return broken
