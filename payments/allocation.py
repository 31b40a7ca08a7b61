"""Allocating money to invoices and taking it back (refunds), with conditional updates.

A payment goes to its chosen invoice first, then to the debtor's other open invoices, oldest
due date first (disputed invoices only when chosen). Every change to an invoice is one
conditional UPDATE computed in the database (`paid_minor = paid_minor + :take WHERE
paid_minor + :take <= amount_minor`), never a value read earlier and written back, so two
payments racing for one invoice can never over-allocate it, on SQLite (which ignores
`FOR UPDATE`) as on PostgreSQL. A take that loses the race is retried with what is left.
What cannot be allocated (the invoices were settled meanwhile) is the payment's excess,
refunded to the card.

The payment itself is held by its own conditional update (see `payments.records`), so one
payment's allocations are only changed by one transaction at a time.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import case, delete, select, update

from portal.extensions import db
from portal.models import Invoice, Payment, PaymentAllocation
from portal.operations.promises import keep_promises


def _open_invoices(debtor_id: int, currency: str) -> list[Invoice]:
    query = (
        select(Invoice)
        .where(Invoice.debtor_id == debtor_id, Invoice.currency == currency,
               Invoice.status == "open")
        .order_by(Invoice.id)
        .execution_options(populate_existing=True)
    )
    return list(db.session.scalars(query))


def allocation_order(invoices: list[Invoice], target_id: int | None,
                     plan_id: int | None = None) -> list[Invoice]:
    """The chosen invoice, then the plan's invoices, then the rest oldest due first."""
    def key(invoice: Invoice):
        return (invoice.id != target_id, plan_id is None or invoice.plan_id != plan_id,
                invoice.due_on, invoice.id)

    eligible = [i for i in invoices if i.id == target_id or not i.disputed]
    return sorted(eligible, key=key)


def _take(invoice: Invoice, wanted: int, received_on: date) -> int:
    """Add up to `wanted` to an open invoice's paid amount; return what was taken."""
    for _attempt in range(5):
        room = db.session.scalar(select(Invoice.amount_minor - Invoice.paid_minor)
                                 .where(Invoice.id == invoice.id, Invoice.status == "open"))
        take = min(wanted, room or 0)
        if take <= 0:
            return 0
        settles = Invoice.paid_minor + take == Invoice.amount_minor
        changed = db.session.execute(
            update(Invoice)
            .where(Invoice.id == invoice.id, Invoice.status == "open",
                   Invoice.paid_minor + take <= Invoice.amount_minor)
            .values(paid_minor=Invoice.paid_minor + take,
                    status=case((settles, "paid"), else_=Invoice.status),
                    settled_on=case((settles, received_on), else_=Invoice.settled_on))
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed:
            return take
    return 0


def allocate(payment: Payment, received_on: date, plan_id: int | None = None) -> int:
    """Allocate the unallocated part of `payment`; return the excess nothing could take."""
    remaining = payment.amount_minor - payment.refunded_minor - sum(
        a.amount_minor for a in payment.allocations)
    invoices = _open_invoices(payment.debtor_id, payment.currency)
    for invoice in allocation_order(invoices, payment.target_invoice_id, plan_id):
        if remaining <= 0:
            break
        take = _take(invoice, remaining, received_on)
        if take:
            _add_allocation(payment, invoice, take)
            remaining -= take
    _reload({invoice.id for invoice in invoices})
    keep_promises(i.id for i in invoices if i.status == "paid")
    return max(remaining, 0)


def _add_allocation(payment: Payment, invoice: Invoice, amount: int) -> None:
    for allocation in payment.allocations:
        if allocation.invoice_id == invoice.id:
            allocation.amount_minor += amount
            return
    payment.allocations.append(PaymentAllocation(invoice=invoice, amount_minor=amount))
    db.session.flush()


def _give_back(invoice_id: int, amount: int) -> int:
    """Take `amount` off an invoice's paid amount (reopening it); return what was taken."""
    return db.session.execute(
        update(Invoice)
        .where(Invoice.id == invoice_id, Invoice.paid_minor >= amount)
        .values(paid_minor=Invoice.paid_minor - amount,
                status=case((Invoice.status == "paid", "open"), else_=Invoice.status),
                settled_on=case((Invoice.status == "paid", None), else_=Invoice.settled_on))
        .execution_options(synchronize_session=False)
    ).rowcount and amount


def release(payment: Payment, amount: int) -> int:
    """Take `amount` back from the payment's allocations, newest due date first; reopen
    those invoices. Returns how much was released."""
    db.session.flush()
    rows = db.session.execute(
        select(PaymentAllocation.id, PaymentAllocation.invoice_id,
               PaymentAllocation.amount_minor)
        .join(Invoice, Invoice.id == PaymentAllocation.invoice_id)
        .where(PaymentAllocation.payment_id == payment.id)
        .order_by(Invoice.due_on.desc(), Invoice.id.desc())).all()
    released = 0
    for row in rows:
        if released >= amount:
            break
        take = min(amount - released, row.amount_minor)
        if not _give_back(row.invoice_id, take):
            continue
        if take == row.amount_minor:
            db.session.execute(delete(PaymentAllocation).where(PaymentAllocation.id == row.id))
        else:
            db.session.execute(update(PaymentAllocation).where(PaymentAllocation.id == row.id)
                               .values(amount_minor=PaymentAllocation.amount_minor - take))
        released += take
    db.session.expire(payment, ["allocations"])
    _reload({row.invoice_id for row in rows})
    return released


def _reload(invoice_ids) -> None:
    """The session's copies of invoices changed by SQL above see the new values."""
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Invoice) and obj.id in invoice_ids:
            db.session.expire(obj)
