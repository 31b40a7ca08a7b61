"""The policy's input and output records (plain data; the planner fills them from the db)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from alerts.calendar import Window


@dataclass(slots=True)
class InvoiceFact:
    id: int
    external_id: str
    debtor_id: int
    due_on: date
    balance_minor: int
    currency: str
    status: str = "open"  # open | paid
    disputed: bool = False
    in_plan: bool = False
    probability: float | None = None
    promised_until: date | None = None
    paused_until: date | None = None  # the debtor asked for time (portal.operations.pauses)


@dataclass(slots=True)
class InstallmentFact:
    id: int
    plan_id: int
    debtor_id: int
    due_on: date
    amount_minor: int
    currency: str


@dataclass(slots=True)
class DebtorFact:
    id: int
    external_id: str
    locale: str = "es"
    timezone: str = "America/Bogota"
    country: str | None = None
    channels: frozenset[str] = frozenset()  # authorised by the debtor and reachable
    preferred_channel: str | None = None
    opted_out: bool = False
    contact_hours: Window | None = None  # the debtor's "not before / not after"
    consented: frozenset[str] = frozenset()  # channels with a recorded consent date


@dataclass(slots=True)
class Contact:
    """A message already sent or queued to a debtor (any channel)."""

    at: datetime
    channel: str
    opened: bool = False
    key: str = ""  # the outbox dedupe key, so re-planning today does not count itself


@dataclass
class Snapshot:
    today: date
    now: datetime
    invoices: list[InvoiceFact] = field(default_factory=list)
    installments: list[InstallmentFact] = field(default_factory=list)
    debtors: dict[int, DebtorFact] = field(default_factory=dict)
    contacts: dict[int, list[Contact]] = field(default_factory=dict)
    # The holdout group, when frozen by the caller (the what-if); None: drawn by the policy.
    holdout: frozenset[int] | None = None


@dataclass(slots=True)
class Decision:
    """One rule that fired today for one invoice (or instalment): planned or skipped."""

    debtor_id: int
    rule: str
    kind: str  # pre_due | due_today | overdue | installment
    offset: int  # days relative to the due date
    dedupe_key: str
    band: str
    probability: float | None
    invoice_id: int | None = None
    installment_id: int | None = None
    reason: str = ""
    skipped: bool = False
    channel: str | None = None
    tone: str = "neutral"
    send_at: datetime | None = None
    not_after: datetime | None = None


@dataclass
class Decisions:
    planned: list[Decision] = field(default_factory=list)
    skipped: list[Decision] = field(default_factory=list)

    def skipped_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for item in self.skipped:
            counts[item.reason] = counts.get(item.reason, 0) + 1
        return dict(sorted(counts.items()))
