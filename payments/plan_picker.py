"""The plan picker: a few offers first, one recommended, the rest behind "Other options".

The rule for the recommended plan is `payments.plans.recommend` (pure): the fewest
instalments whose amount fits the debtor's usual payment. The usual payment is read here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from statistics import median

from sqlalchemy import select

from payments.plan_service import plan_offers
from payments.plans import Offer, first_view, recommend
from portal.extensions import db
from portal.models import Debtor, Invoice, Payment


def usual_payment(debtor: Debtor, currency: str) -> int | None:
    """What the debtor usually pays at once: the median of their last 12 kept payments in
    this currency; without any, the median of their last 12 invoices (what they are billed
    each time, a stand-in for what fits their budget)."""
    amounts = db.session.scalars(
        select(Payment.amount_minor).where(
            Payment.debtor_id == debtor.id, Payment.currency == currency,
            Payment.status.in_(("succeeded", "partially_refunded")))
        .order_by(Payment.created_at.desc()).limit(12)).all()
    if not amounts:
        amounts = db.session.scalars(
            select(Invoice.amount_minor).where(Invoice.debtor_id == debtor.id,
                                               Invoice.currency == currency)
            .order_by(Invoice.issued_on.desc()).limit(12)).all()
    return int(median(amounts)) if amounts else None


@dataclass
class Picker:
    """The plan picker: offers shown first (at most 4 per currency), the other options,
    and the recommended offer of each currency (see `payments.plans.recommend`)."""

    shown: list[Offer]
    others: list[Offer]
    recommended: set[str]


def plan_picker(debtor: Debtor, today: date) -> Picker:
    picker = Picker([], [], set())
    by_currency: dict[str, list[Offer]] = {}
    for offer in plan_offers(debtor, today):
        by_currency.setdefault(offer.currency, []).append(offer)
    for currency, offers in by_currency.items():
        usual = usual_payment(debtor, currency)
        chosen = recommend(offers, usual)
        shown, others = first_view(offers, chosen, usual)
        picker.shown.extend(shown)
        picker.others.extend(others)
        if chosen is not None:
            picker.recommended.add(chosen.key)
    return picker
