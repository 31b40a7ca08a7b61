"""Allocating money to invoices and taking it back (refunds), under row locks.

A payment goes to its chosen invoice first, then to the debtor's other open invoices, oldest
due date first (disputed invoices only when chosen). Invoice rows are locked with
`SELECT … FOR UPDATE` on PostgreSQL, so two payments racing for the same invoice wait for
each other and can never over-allocate; SQLite serialises writers by itself. What cannot be
allocated (the invoices were settled meanwhile) is the payment's excess, refunded to the card.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from portal.extensions import db
from portal.models import Invoice, Payment, PaymentAllocation
from portal.operations.promises import keep_promises


def _locked_open_invoices(debtor_id: int, currency: str) -> list[Invoice]:
    query = (
        select(Invoice)
        .where(Invoice.debtor_id == debtor_id, Invoice.currency == currency,
               Invoice.status == "open")
        .order_by(Invoice.id)
        .with_for_update()
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


def allocate(payment: Payment, received_on: date, plan_id: int | None = None) -> int:
    """Allocate the unallocated part of `payment`; return the excess nothing could take."""
    remaining = payment.amount_minor - payment.refunded_minor - sum(
        a.amount_minor for a in payment.allocations)
    invoices = _locked_open_invoices(payment.debtor_id, payment.currency)
    for invoice in allocation_order(invoices, payment.target_invoice_id, plan_id):
        if remaining <= 0:
            break
        take = min(remaining, invoice.amount_minor - invoice.paid_minor)
        if take <= 0:
            continue
        _add_allocation(payment, invoice, take)
        invoice.paid_minor += take
        remaining -= take
        if invoice.paid_minor == invoice.amount_minor:
            invoice.status = "paid"
            invoice.settled_on = received_on
    keep_promises(i.id for i in invoices if i.status == "paid")
    return max(remaining, 0)


def _add_allocation(payment: Payment, invoice: Invoice, amount: int) -> None:
    for allocation in payment.allocations:
        if allocation.invoice_id == invoice.id:
            allocation.amount_minor += amount
            return
    payment.allocations.append(PaymentAllocation(invoice=invoice, amount_minor=amount))


def release(payment: Payment, amount: int) -> int:
    """Take `amount` back from the payment's allocations, newest due date first; reopen
    those invoices. Returns how much was released."""
    ordered = sorted(payment.allocations, key=lambda a: (a.invoice.due_on, a.invoice_id),
                     reverse=True)
    ids = [a.invoice_id for a in ordered]
    if ids:  # lock the invoices we are about to change
        db.session.scalars(select(Invoice).where(Invoice.id.in_(ids)).order_by(Invoice.id)
                           .with_for_update().execution_options(populate_existing=True)).all()
    released = 0
    for allocation in ordered:
        if released >= amount:
            break
        take = min(amount - released, allocation.amount_minor)
        invoice = allocation.invoice
        invoice.paid_minor -= take
        if invoice.status == "paid":
            invoice.status = "open"
            invoice.settled_on = None
        allocation.amount_minor -= take
        if allocation.amount_minor == 0:
            payment.allocations.remove(allocation)
        released += take
    return released
