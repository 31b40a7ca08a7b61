"""Payment-plan offers: which plans the finance policy offers for a balance, and their
schedules. Plain Python (no Flask, no database): data in, decisions out.

Instalments add up exactly to the balance; the rounding remainder goes on the last one.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from payments.money import MoneyError, to_minor

PERIOD_DAYS = {"weekly": 7, "fortnightly": 14}


@dataclass(frozen=True)
class Offer:
    """One plan the debtor may choose: every date and amount, fixed now."""

    count: int
    frequency: str
    currency: str
    schedule: tuple[tuple[date, int], ...]

    @property
    def key(self) -> str:
        return f"{self.count}-{self.frequency}-{self.currency}"

    @property
    def total_minor(self) -> int:
        return sum(amount for _, amount in self.schedule)

    @property
    def last_due_on(self) -> date:
        return self.schedule[-1][0]


def split_amount(total_minor: int, count: int) -> list[int]:
    """`count` equal instalments in minor units; the remainder goes on the last one."""
    if count <= 0 or total_minor <= 0:
        raise ValueError("a plan needs a positive total and at least one instalment")
    base = total_minor // count
    return [base] * (count - 1) + [total_minor - base * (count - 1)]


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (31 Jan + 1 → 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_dates(today: date, count: int, frequency: str, first_due_today: bool) -> list[date]:
    """Due dates counted from `today` (monthly ones keep today's day of the month)."""
    offset = 0 if first_due_today else 1
    if frequency == "monthly":
        return [add_months(today, n + offset) for n in range(count)]
    if frequency not in PERIOD_DAYS:
        raise ValueError(f"unknown frequency {frequency!r}")
    return [today + timedelta(days=PERIOD_DAYS[frequency] * (n + offset))
            for n in range(count)]


def minimum_instalment(policy: dict, currency: str) -> int:
    """The policy's smallest instalment for a currency, in minor units (0 when unset)."""
    raw = (policy.get("min_installment_major") or {}).get(currency)
    if raw is None:
        return 0
    try:
        return to_minor(Decimal(str(raw)), currency)
    except MoneyError:
        return 0


def offers_for(balance_minor: int, currency: str, policy: dict, today: date) -> list[Offer]:
    """Every plan in `policy` (the settings' "plans" section) that fits this balance."""
    if balance_minor <= 0:
        return []
    smallest = minimum_instalment(policy, currency)
    longest = timedelta(days=int(policy.get("max_duration_days", 180)))
    offers = []
    for frequency in policy.get("frequencies", []):
        for count in sorted(policy.get("installments", [])):
            amounts = split_amount(balance_minor, count)
            if amounts[0] < smallest:
                continue
            dates = due_dates(today, count, frequency, bool(policy.get("first_due_today")))
            if dates[-1] - today > longest:
                continue
            offers.append(Offer(count, frequency, currency, tuple(zip(dates, amounts,
                                                                      strict=True))))
    return offers


def find_offer(offers: list[Offer], key: str) -> Offer | None:
    return next((offer for offer in offers if offer.key == key), None)


def retry_date(due_on: date, attempts: int, retry_days: list[int], today: date) -> date | None:
    """When to try a failed instalment again after `attempts` tries (None: give up)."""
    if attempts > len(retry_days):
        return None
    return max(due_on + timedelta(days=retry_days[attempts - 1]), today + timedelta(days=1))


FREQUENCY_ORDER = {"monthly": 0, "fortnightly": 1, "weekly": 2}


def instalment_minor(offer: Offer) -> int:
    """The amount of each instalment (the last one may differ by the rounding remainder)."""
    return offer.schedule[0][1]


def recommend(offers: list[Offer], usual_minor: int | None) -> Offer | None:
    """The plan we suggest: the fewest instalments whose amount fits the debtor's usual
    payment (`usual_minor`, see `plan_service.usual_payment`); at the same count, the one
    with the most time between payments. When no offer fits, the smallest instalment.
    Without a usual payment, the fewest instalments."""
    if not offers:
        return None
    by_count = sorted(offers, key=lambda o: (o.count, FREQUENCY_ORDER.get(o.frequency, 9)))
    if not usual_minor:
        return by_count[0]
    fitting = [o for o in by_count if instalment_minor(o) <= usual_minor]
    if fitting:
        return fitting[0]
    return min(offers, key=lambda o: (instalment_minor(o), FREQUENCY_ORDER.get(o.frequency, 9)))


def first_view(offers: list[Offer], chosen: Offer | None, usual_minor: int | None,
               limit: int = 4) -> tuple[list[Offer], list[Offer]]:
    """(shown first, the other options): the recommended offer and the ones whose
    instalment is closest to the usual payment, at most `limit`, fewest instalments first."""
    target = usual_minor or (instalment_minor(chosen) if chosen else 0)

    def distance(offer: Offer) -> tuple:
        return (offer is not chosen, abs(instalment_minor(offer) - target), offer.count,
                FREQUENCY_ORDER.get(offer.frequency, 9))

    shown = sorted(offers, key=distance)[:limit]
    order = {id(o): n for n, o in enumerate(
        sorted(offers, key=lambda o: (o.count, FREQUENCY_ORDER.get(o.frequency, 9))))}
    shown.sort(key=lambda o: order[id(o)])
    others = [o for o in offers if o not in shown]
    others.sort(key=lambda o: order[id(o)])
    return shown, others
