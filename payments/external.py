"""Payments made outside Saldo (bank transfer, cash, other), reported by the billing system.

Recorded through the same recorder as card payments (`payments.records.apply_success`):
allocated under row locks to the chosen invoice, then the debtor's other open invoices,
closing plans their invoices settle, audited. The billing system's reference is unique, so
a payment reported twice is recorded once. The caller commits.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from payments.balances import open_balances
from payments.records import apply_success
from portal.audit import record
from portal.extensions import db
from portal.models import Debtor, Invoice, Payment

METHODS = ("transfer", "cash", "other")
REF_PREFIX = "ext:"


class ExternalPaymentError(ValueError):
    def __init__(self, field: str, message: str, status: int = 422):
        super().__init__(message)
        self.field, self.status = field, status


def find_by_reference(reference: str) -> Payment | None:
    return db.session.scalar(select(Payment).where(Payment.external_ref ==
                                                   REF_PREFIX + reference))


def record_external_payment(debtor: Debtor, *, amount_minor: int, currency: str, method: str,
                            reference: str, received_on: date, invoice: Invoice | None = None,
                            actor: tuple[str, int | None] = ("system", None)
                            ) -> tuple[Payment, bool]:
    """Record and allocate a payment received outside Saldo; (payment, created)."""
    if method not in METHODS:
        raise ExternalPaymentError("method", f"method must be one of {', '.join(METHODS)}")
    known = find_by_reference(reference)
    if known is not None:
        if known.debtor_id != debtor.id or known.amount_minor != amount_minor:
            raise ExternalPaymentError("reference", "this reference was already used for "
                                       "another payment", 409)
        return known, False
    if invoice is not None and (invoice.debtor_id != debtor.id or invoice.currency != currency):
        raise ExternalPaymentError("invoice_id", "the invoice belongs to another debtor or "
                                   "currency")
    owed = open_balances(debtor).get(currency, 0)
    if invoice is not None and invoice.disputed and invoice.status == "open":
        owed += invoice.amount_minor - invoice.paid_minor
    if amount_minor <= 0 or amount_minor > owed:
        raise ExternalPaymentError("amount_minor", f"the amount must be between 1 and what "
                                   f"the debtor owes in {currency} ({owed})")
    payment = Payment(debtor_id=debtor.id, amount_minor=amount_minor, currency=currency,
                      method=method, status="pending", refunded_minor=0,
                      external_ref=REF_PREFIX + reference,
                      target_invoice_id=invoice.id if invoice else None)
    try:
        with db.session.begin_nested():
            db.session.add(payment)
            db.session.flush()
    except IntegrityError as exc:  # the same reference recorded meanwhile
        raise ExternalPaymentError("reference", "this reference is being recorded by "
                                   "another request", 409) from exc
    apply_success(payment, None, received_on)
    record(actor[0], actor[1], "payment.recorded", payment,
           after={"method": method, "amount_minor": amount_minor, "currency": currency,
                  "reference": reference})
    return payment, True
