"""Read today's policy input from the database with a few bulk queries (no ORM objects).

Only invoices a rule can fire for today are read: the policy says which due dates those are
(a handful per country), and the `(status, due_on)` index finds them, so planning cost grows
with today's work, not with the size of the ledger.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import and_, func, or_, select

from alerts.calendar import Window
from alerts.facts import Contact, DebtorFact, InstallmentFact, InvoiceFact, Snapshot
from alerts.policy import firing_due_dates
from portal.extensions import db
from portal.models import (
    Debtor,
    Dispute,
    Installment,
    Invoice,
    Message,
    PaymentPlan,
    PromiseToPay,
    PushSubscription,
    ReminderPause,
    RiskScore,
)

ACTIVE_PLAN = ("pending", "active")
CONTACT_STATUSES = ("pending", "sending", "sent")


def due_dates(policy, today: date, days: int = 1) -> tuple[set[date], set[date]]:
    countries = db.session.scalars(select(Debtor.country).distinct()).all()
    invoice_days, installment_days = set(), set()
    for offset in range(days):
        day = today + timedelta(days=offset)
        for by_due in firing_due_dates(policy, countries, day).values():
            for due, rules in by_due.items():
                if any(r.kind != "installment" for r in rules):
                    invoice_days.add(due)
                if any(r.kind == "installment" for r in rules):
                    installment_days.add(due)
    return invoice_days, installment_days


def _chosen(days: set[date], sample_mod: int = 1):
    """The condition selecting today's invoices (every `sample_mod`-th debtor's, to sample)."""
    condition = Invoice.due_on.in_(sorted(days)) & Invoice.status.in_(("open", "paid"))
    return condition if sample_mod <= 1 else condition & (Invoice.debtor_id % sample_mod == 0)


def count_invoices(days: set[date]) -> int:
    return db.session.scalar(select(func.count(Invoice.id)).where(_chosen(days))) or 0


def _invoices(days: set[date], sample_mod: int) -> dict[int, InvoiceFact]:
    plan_active = select(PaymentPlan.id).where(PaymentPlan.status.in_(ACTIVE_PLAN))
    rows = db.session.execute(
        select(Invoice.id, Invoice.external_id, Invoice.debtor_id, Invoice.due_on,
               Invoice.amount_minor - Invoice.paid_minor, Invoice.currency, Invoice.status,
               Invoice.disputed, Invoice.plan_id.in_(plan_active))
        .where(_chosen(days, sample_mod))
    )
    return {r[0]: InvoiceFact(r[0], r[1], r[2], r[3], int(r[4]), r[5], r[6], bool(r[7]),
                              bool(r[8])) for r in rows}


def _invoice_extras(days: set[date], facts: dict[int, InvoiceFact], sample_mod: int,
                    today: date | None = None) -> None:
    """Latest risk score, open disputes and open promises of the selected invoices."""
    chosen = select(Invoice.id).where(_chosen(days, sample_mod))
    ranked = (
        select(RiskScore.invoice_id, RiskScore.probability,
               func.row_number().over(partition_by=RiskScore.invoice_id,
                                      order_by=(RiskScore.scored_at.desc(),
                                                RiskScore.id.desc())).label("n"))
        .where(RiskScore.invoice_id.in_(chosen)).subquery()
    )
    for invoice_id, probability in db.session.execute(
            select(ranked.c.invoice_id, ranked.c.probability).where(ranked.c.n == 1)):
        facts[invoice_id].probability = float(probability)
    for (invoice_id,) in db.session.execute(
            select(Dispute.invoice_id).where(Dispute.status == "open",
                                             Dispute.invoice_id.in_(chosen))):
        facts[invoice_id].disputed = True
    for invoice_id, until in db.session.execute(
            select(PromiseToPay.invoice_id, func.max(PromiseToPay.promised_on))
            .where(PromiseToPay.status == "open", PromiseToPay.invoice_id.in_(chosen))
            .group_by(PromiseToPay.invoice_id)):
        facts[invoice_id].promised_until = until
    if today is not None:
        chosen_debtors = select(Invoice.debtor_id).where(_chosen(days, sample_mod))
        paused = dict(db.session.execute(
            select(ReminderPause.debtor_id, func.max(ReminderPause.until))
            .where(ReminderPause.debtor_id.in_(chosen_debtors), ReminderPause.until >= today)
            .group_by(ReminderPause.debtor_id)).all())
        for fact in facts.values():
            fact.paused_until = paused.get(fact.debtor_id)


def _installments(days: set[date], sample_mod: int) -> list[InstallmentFact]:
    if not days:
        return []
    sampled = PaymentPlan.debtor_id % sample_mod == 0 if sample_mod > 1 else True
    rows = db.session.execute(
        select(Installment.id, Installment.plan_id, PaymentPlan.debtor_id, Installment.due_on,
               Installment.amount_minor, PaymentPlan.currency)
        .join(PaymentPlan, PaymentPlan.id == Installment.plan_id)
        .where(Installment.due_on.in_(sorted(days)), Installment.status == "pending",
               PaymentPlan.status.in_(ACTIVE_PLAN), sampled)
    )
    return [InstallmentFact(*r) for r in rows]


def _window(start, end) -> Window | None:
    return (start, end) if start is not None and end is not None else None


def _debtor_ids(invoice_days: set[date], installment_days: set[date], sample_mod: int):
    """A subquery of the debtors concerned today (bind-parameter lists would not scale)."""
    by_invoice = select(Invoice.debtor_id).where(_chosen(invoice_days, sample_mod))
    by_plan = (select(PaymentPlan.debtor_id)
               .join(Installment, Installment.plan_id == PaymentPlan.id)
               .where(Installment.due_on.in_(sorted(installment_days)),
                      Installment.status == "pending"))
    return by_invoice.union(by_plan)


def _debtors(ids) -> dict[int, DebtorFact]:
    pushable = set(db.session.scalars(
        select(PushSubscription.debtor_id).where(PushSubscription.debtor_id.in_(ids)).distinct()))
    rows = db.session.execute(
        select(Debtor.id, Debtor.external_id, Debtor.locale, Debtor.timezone, Debtor.country,
               Debtor.email, Debtor.phone, Debtor.allow_email, Debtor.allow_sms,
               Debtor.allow_whatsapp, Debtor.allow_push, Debtor.preferred_channel,
               Debtor.opted_out_at, Debtor.quiet_start, Debtor.quiet_end,
               Debtor.consent_email_at, Debtor.consent_sms_at, Debtor.consent_whatsapp_at)
        .where(Debtor.id.in_(ids)))
    out = {}
    for r in rows:
        reachable = {"email": r.allow_email and bool(r.email),
                     "sms": r.allow_sms and bool(r.phone),
                     "whatsapp": r.allow_whatsapp and bool(r.phone),
                     "push": r.allow_push and r.id in pushable}
        out[r.id] = DebtorFact(
            r.id, r.external_id, r.locale or "es", r.timezone or "UTC",
            (r.country or "").upper() or None, frozenset(c for c, ok in reachable.items() if ok),
            r.preferred_channel, r.opted_out_at is not None, _window(r.quiet_start, r.quiet_end),
            consented_channels(r))
    return out


def consented_channels(debtor) -> frozenset[str]:
    """The channels with a recorded consent date (a Debtor or a row with its columns)."""
    return frozenset(c for c in ("email", "sms", "whatsapp")
                     if getattr(debtor, f"consent_{c}_at") is not None)


def _contacts(ids, now: datetime) -> dict[int, list[Contact]]:
    since = now - timedelta(days=8)
    when = func.coalesce(Message.sent_at, Message.send_at)
    out: dict[int, list[Contact]] = {}
    for debtor_id, at, channel, opened, key in db.session.execute(
            select(Message.debtor_id, when, Message.channel, Message.opened_at.is_not(None),
                   Message.dedupe_key)
            .where(Message.debtor_id.in_(ids), Message.status.in_(CONTACT_STATUSES),
                   or_(and_(Message.sent_at.is_not(None), Message.sent_at >= since),
                       and_(Message.sent_at.is_(None), Message.send_at >= since)))):
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
        out.setdefault(debtor_id, []).append(Contact(at, channel, bool(opened), key))
    return out


def load_snapshot(today: date, policy=None, now: datetime | None = None,
                  days: int = 1, sample_mod: int = 1) -> Snapshot:
    """Everything the policy needs to decide `today` (or each of `days` days from it, for
    the preview: the policy only looks at the invoices whose rules fire on the day it
    decides), read with bulk queries. `sample_mod` > 1 keeps every n-th debtor (preview)."""
    from alerts.settings import as_policy, current_policy

    policy = as_policy(policy) if policy is not None else current_policy()
    now = now or datetime.now(UTC)
    invoice_days, installment_days = due_dates(policy, today, days)
    return load_window(today, now, invoice_days, installment_days, sample_mod)


def load_window(today: date, now: datetime, invoice_days: set[date],
                installment_days: set[date], sample_mod: int = 1) -> Snapshot:
    """The snapshot of the invoices due on `invoice_days` and the plan instalments due on
    `installment_days`, with their debtors, latest scores and recent contacts."""
    facts = _invoices(invoice_days, sample_mod) if invoice_days else {}
    if facts:
        _invoice_extras(invoice_days, facts, sample_mod, today)
    installments = _installments(installment_days, sample_mod)
    if not facts and not installments:
        return Snapshot(today=today, now=now)
    ids = _debtor_ids(invoice_days, installment_days, sample_mod)
    return Snapshot(today=today, now=now, invoices=list(facts.values()),
                    installments=installments, debtors=_debtors(ids),
                    contacts=_contacts(ids, now))
