"""What a debtor owes, per currency, as the payment pages and plan offers see it."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import Debtor, Invoice


def open_invoices(debtor: Debtor, *, outside_plans: bool = False) -> list[Invoice]:
    """Open, undisputed invoices with something left to pay, oldest due first."""
    query = select(Invoice).where(
        Invoice.debtor_id == debtor.id, Invoice.status == "open",
        Invoice.disputed.is_(False), Invoice.paid_minor < Invoice.amount_minor,
    )
    if outside_plans:
        query = query.where(Invoice.plan_id.is_(None))
    return list(db.session.scalars(query.order_by(Invoice.due_on, Invoice.id)))


def open_balances(debtor: Debtor, *, outside_plans: bool = False) -> dict[str, int]:
    """{currency: minor units still owed}, currencies in order of their oldest invoice."""
    balances: dict[str, int] = {}
    for invoice in open_invoices(debtor, outside_plans=outside_plans):
        balances[invoice.currency] = balances.get(invoice.currency, 0) + invoice.balance_minor
    return balances
