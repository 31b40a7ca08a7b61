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
