"""Builders for the alert tests: policy facts (no database) and outbox rows (database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from alerts.facts import Contact, DebtorFact, InstallmentFact, InvoiceFact, Snapshot
from alerts.settings import merged

TODAY = date(2026, 11, 24)  # a Tuesday
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # 07:00 in Bogotá


def settings(**changes) -> dict:
    base = {"holdout_share": 0}
    base.update(changes)
    return merged(base)


def debtor(id: int = 1, **fields) -> DebtorFact:
    values = {"external_id": f"C-{id}", "locale": "es_CO", "timezone": "America/Bogota",
              "country": "CO", "channels": frozenset({"email", "sms"}),
              "consented": frozenset({"email", "sms", "whatsapp"})}
    values.update(fields)
    return DebtorFact(id=id, **values)


def invoice(id: int = 1, debtor_id: int = 1, due_in: int = 7, p: float | None = 0.7,
            today: date = TODAY, **fields) -> InvoiceFact:
    values = {"external_id": f"F-{id}", "debtor_id": debtor_id,
              "due_on": today + timedelta(days=due_in), "balance_minor": 100_000_00,
              "currency": "COP", "probability": p}
    values.update(fields)
    return InvoiceFact(id=id, **values)


def installment(id: int = 1, debtor_id: int = 1, due_in: int = 2) -> InstallmentFact:
    return InstallmentFact(id, 1, debtor_id, TODAY + timedelta(days=due_in), 50_000_00, "COP")


def snapshot(invoices=(), debtors=None, contacts=None, today: date = TODAY,
             now: datetime = NOW, installments=()) -> Snapshot:
    debtors = debtors or [debtor()]
    return Snapshot(today=today, now=now, invoices=list(invoices),
                    installments=list(installments), debtors={d.id: d for d in debtors},
                    contacts=contacts or {})


def contact(days_ago: float, channel: str = "email", opened: bool = False,
            now: datetime = NOW) -> Contact:
    return Contact(now - timedelta(days=days_ago), channel, opened, f"old-{days_ago}-{channel}")
