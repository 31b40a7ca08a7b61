"""What the console does with payments: issues staff handle, and refunds they review.

`resolve_issue` marks a payment issue handled (once: a conditional update); for a chargeback
it also lets reminders and autopay resume when nothing else holds them. `refund_preview`
says what a refund would reopen, for the confirmation step; the refund itself is
`payments.refunds.refund_payment`.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from payments.chargebacks import release_holds
from portal.audit import record
from portal.extensions import db
from portal.models import Chargeback, Invoice, Payment, PaymentAllocation, PaymentIssue, utcnow

ISSUE_LABELS = {
    "mismatch": _l("Webhook disagreed with the payment (not applied)"),
    "unmatched_charge": _l("Charge at Stripe that matches no payment"),
    "double_charge": _l("Second charge for one payment"),
    "refund_failed": _l("Refund at Stripe failed"),
    "chargeback": _l("Disputed by the card holder (chargeback)"),
}
ACTION_LABELS = {"flagged": _l("needs staff"), "refunded": _l("refunded automatically")}


class IssueError(ValueError):
    """The issue cannot be resolved (already resolved)."""


def open_issue_count() -> int:
    return db.session.scalar(select(func.count()).select_from(PaymentIssue).where(
        PaymentIssue.status == "open")) or 0


def issues(status: str = "open", limit: int = 500) -> list[PaymentIssue]:
    query = select(PaymentIssue).order_by(PaymentIssue.created_at.desc()).limit(limit)
    if status in ("open", "resolved"):
        query = query.where(PaymentIssue.status == status)
    return list(db.session.scalars(query))


def resolve_issue(issue: PaymentIssue, staff) -> None:
    """Mark an open issue handled (the caller commits)."""
    done = db.session.execute(
        update(PaymentIssue).where(PaymentIssue.id == issue.id, PaymentIssue.status == "open")
        .values(status="resolved", resolved_by_id=staff.id, resolved_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount
    if not done:
        raise IssueError(_l("This issue was already marked handled."))
    db.session.refresh(issue)
    if issue.kind == "chargeback" and issue.debtor_id:
        release_holds(issue.debtor_id)
    record("staff", staff.id, "payment_issue.resolved", issue,
           after={"kind": issue.kind, "stripe_ref": issue.stripe_ref})


def chargebacks_of(payment: Payment) -> list[Chargeback]:
    return list(db.session.scalars(select(Chargeback).where(
        Chargeback.payment_id == payment.id).order_by(Chargeback.created_at)))


def issues_of(payment: Payment) -> list[PaymentIssue]:
    return list(db.session.scalars(select(PaymentIssue).where(
        PaymentIssue.payment_id == payment.id).order_by(PaymentIssue.created_at)))


def refund_preview(payment: Payment, amount_minor: int) -> list[tuple[Invoice, int]]:
    """The invoices a refund of `amount_minor` reopens and by how much (newest due first,
    as `payments.allocation.release` takes it back)."""
    rows = db.session.execute(
        select(Invoice, PaymentAllocation.amount_minor)
        .join(PaymentAllocation, PaymentAllocation.invoice_id == Invoice.id)
        .where(PaymentAllocation.payment_id == payment.id)
        .order_by(Invoice.due_on.desc(), Invoice.id.desc())).all()
    preview, left = [], amount_minor
    for invoice, allocated in rows:
        if left <= 0:
            break
        take = min(left, allocated)
        preview.append((invoice, take))
        left -= take
    return preview
