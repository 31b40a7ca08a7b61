"""What a debtor's account looks like today: balances, invoice statuses, plans, history.

Plain functions over the models; the views only render what these return.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Integer, and_, bindparam, or_, select

from portal.debtor.format import invoice_period
from portal.extensions import db
from portal.models import Debtor, Dispute, Invoice, PaymentPlan, PromiseToPay

DUE_SOON_DAYS = 7
ACTIVE_PLAN_STATUSES = ("pending", "active")


@dataclass
class InvoiceView:
    invoice: Invoice
    status: str  # due_soon | due | overdue | disputed | promised | in_plan | paid | cancelled
    promise: PromiseToPay | None = None


@dataclass
class CurrencyTotal:
    currency: str
    due_minor: int = 0
    overdue_minor: int = 0


@dataclass
class AccountSummary:
    totals: list[CurrencyTotal]
    next_due_on: date | None
    open_invoices: list[InvoiceView]
    paid_invoices: list[InvoiceView]
    plans: list[PaymentPlan]
    promises: list[PromiseToPay] = field(default_factory=list)
    disputes: list[Dispute] = field(default_factory=list)  # open ones, newest first


def open_promise(invoice: Invoice) -> PromiseToPay | None:
    return db.session.scalar(
        select(PromiseToPay)
        .where(PromiseToPay.invoice_id == invoice.id, PromiseToPay.status == "open")
        .order_by(PromiseToPay.created_at.desc())
        .limit(1)
    )


def invoice_status(invoice: Invoice, today: date, promise: PromiseToPay | None = None) -> str:
    """The one status a debtor should see first for an invoice."""
    if invoice.status == "cancelled":
        return "cancelled"
    if invoice.status == "paid" or invoice.balance_minor <= 0:
        return "paid"
    if invoice.disputed:
        return "disputed"
    if invoice.plan_id is not None:
        plan = db.session.get(PaymentPlan, invoice.plan_id)  # identity map: no extra query
        if plan is not None and plan.status in ACTIVE_PLAN_STATUSES:
            return "in_plan"
    if promise is not None and promise.promised_on >= today:
        return "promised"
    if today > invoice.due_on:
        return "overdue"
    if invoice.due_on - today <= timedelta(days=DUE_SOON_DAYS):
        return "due_soon"
    return "due"


def view_invoice(invoice: Invoice, today: date) -> InvoiceView:
    promise = open_promise(invoice) if invoice.status == "open" else None
    return InvoiceView(invoice, invoice_status(invoice, today, promise), promise)


# The account page's statements are built once (with bound parameters): building one and
# its cache key costs more CPU than PostgreSQL takes to run it.
_DEBTOR, _LIMIT = bindparam("debtor_id", type_=Integer), bindparam("history_limit", type_=Integer)
_RECENT_PAID = (
    select(Invoice.id)
    .where(Invoice.debtor_id == _DEBTOR, Invoice.status == "paid")
    .order_by(Invoice.issued_on.desc(), Invoice.id.desc())
    .limit(_LIMIT)
)
# Whether there is anything to load for the plans and disputes sections, asked in the same
# statement as the invoices (most debtors have neither: two round trips saved).
_HAS_PLANS = select(PaymentPlan.id).where(PaymentPlan.debtor_id == _DEBTOR).exists()
_HAS_DISPUTES = (select(Dispute.id)
                 .where(Dispute.debtor_id == _DEBTOR, Dispute.status == "open").exists())
_INVOICES = (
    select(Invoice, PromiseToPay, _HAS_PLANS.label("has_plans"),
           _HAS_DISPUTES.label("has_disputes"))
    .outerjoin(PromiseToPay, and_(PromiseToPay.invoice_id == Invoice.id,
                                  Invoice.status == "open", PromiseToPay.debtor_id == _DEBTOR,
                                  PromiseToPay.status == "open"))
    .where(Invoice.debtor_id == _DEBTOR,
           or_(Invoice.status == "open", Invoice.id.in_(_RECENT_PAID.scalar_subquery())))
)
_PLANS = (select(PaymentPlan).where(PaymentPlan.debtor_id == _DEBTOR)
          .order_by(PaymentPlan.created_at.desc()))
OPEN_DISPUTES = (select(Dispute).where(Dispute.debtor_id == _DEBTOR, Dispute.status == "open")
                 .order_by(Dispute.created_at.desc()))


def open_disputes(debtor: Debtor) -> list[Dispute]:
    """The debtor's disputes still under review, newest first."""
    return db.session.scalars(OPEN_DISPUTES, {"debtor_id": debtor.id}).all()


@dataclass
class _Loaded:
    open_rows: list[Invoice]
    paid_rows: list[Invoice]
    promises: dict[int, PromiseToPay]  # by invoice id
    has_plans: bool  # True also when unknown (no invoice rows to carry the answer)
    has_disputes: bool


def _invoices(debtor: Debtor, history_limit: int) -> _Loaded:
    """Every open invoice (by due date), the `history_limit` paid ones issued last (by the
    month billed, newest first: not by payment date, so months stay in order), the newest
    open promise of each open invoice, and whether the debtor has plans and open disputes,
    in one query."""
    rows = db.session.execute(_INVOICES, {"debtor_id": debtor.id,
                                          "history_limit": history_limit}).all()
    invoices: dict[int, Invoice] = {}
    promises: dict[int, PromiseToPay] = {}
    for invoice, promise, _, _ in rows:
        invoices[invoice.id] = invoice
        kept = promises.get(invoice.id)
        if promise is not None and (kept is None or (promise.created_at, promise.id)
                                    > (kept.created_at, kept.id)):
            promises[invoice.id] = promise
    open_rows = sorted((inv for inv in invoices.values() if inv.status == "open"),
                       key=lambda inv: (inv.due_on, inv.id))
    paid_rows = sorted((inv for inv in invoices.values() if inv.status != "open"),
                       key=lambda inv: (invoice_period(inv) or inv.issued_on, inv.issued_on,
                                        inv.id), reverse=True)
    has_plans, has_disputes = (bool(rows[0].has_plans), bool(rows[0].has_disputes)) \
        if rows else (True, True)
    return _Loaded(open_rows, paid_rows, promises, has_plans, has_disputes)


def account_summary(debtor: Debtor, today: date, history_limit: int = 24) -> AccountSummary:
    """Totals per currency (due and overdue), the next due date, invoices, plans, promises,
    open disputes."""
    loaded = _invoices(debtor, history_limit)
    totals: dict[str, CurrencyTotal] = {}
    # Every plan, loaded once, so invoice_status finds them in the identity map.
    plans = db.session.scalars(_PLANS, {"debtor_id": debtor.id}).all() \
        if loaded.has_plans else []
    open_views = []
    for inv in loaded.open_rows:
        if inv.balance_minor > 0:
            promise = loaded.promises.get(inv.id)
            open_views.append(InvoiceView(inv, invoice_status(inv, today, promise), promise))
    for item in open_views:
        total = totals.setdefault(item.invoice.currency, CurrencyTotal(item.invoice.currency))
        total.due_minor += item.invoice.balance_minor
        if today > item.invoice.due_on:
            total.overdue_minor += item.invoice.balance_minor
    upcoming = [v.invoice.due_on for v in open_views if v.invoice.due_on >= today]
    promises = [v.promise for v in open_views if v.promise is not None]
    return AccountSummary(
        totals=sorted(totals.values(), key=lambda t: -t.due_minor),
        next_due_on=min(upcoming) if upcoming else None,
        open_invoices=open_views,
        paid_invoices=[InvoiceView(inv, "paid") for inv in loaded.paid_rows],
        plans=[plan for plan in plans if plan.status in ACTIVE_PLAN_STATUSES],
        promises=promises,
        disputes=open_disputes(debtor) if loaded.has_disputes else [],
    )


def own_invoice(debtor: Debtor, invoice_id: int) -> Invoice | None:
    """The debtor's invoice with that id, or None (another debtor's invoice is None too)."""
    invoice = db.session.get(Invoice, invoice_id)
    return invoice if invoice is not None and invoice.debtor_id == debtor.id else None


def applied_payments(invoice: Invoice) -> list:
    """(allocation, payment) pairs applied to the invoice, oldest first."""
    rows = sorted(invoice.allocations, key=lambda a: (a.created_at, a.id))
    return [(a, a.payment) for a in rows if a.payment.status != "failed"]
