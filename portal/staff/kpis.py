"""Dashboard figures from the ledger: collections, on-time share by band, DSO, promises, plans.

Plain functions over the database, each taking the day the figures are "as of", so tests
check them against hand-computed values. Money stays in integer minor units per currency.
An invoice's **prediction** is its latest risk score made on or before its due date; its
**outcome** is known once it is settled or open past its due date (late = settled after
the due date, or still open past it). Cancelled invoices are left out.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, or_, select

from portal.extensions import db
from portal.models import Invoice, Payment, PaymentPlan, PromiseToPay, RiskScore

BANDS = ("low", "medium", "high")
DSO_WINDOW_DAYS = 90


@dataclass
class Outcome:
    invoice: Invoice  # or a row with id, due_on, settled_on, status
    late: bool
    score: RiskScore | None

    @property
    def band(self) -> str:
        return self.score.band if self.score else "unscored"


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def collected_per_week(as_of: date, weeks: int = 12) -> list[tuple[date, dict[str, int]]]:
    """Net collected (succeeded payments minus refunds) per ISO week, oldest first."""
    first = week_start(as_of) - timedelta(weeks=weeks - 1)
    totals: dict[date, dict[str, int]] = {first + timedelta(weeks=i): {} for i in range(weeks)}
    since = datetime.combine(first, time(), UTC)
    rows = db.session.execute(select(
        Payment.received_on, Payment.created_at, Payment.currency, Payment.amount_minor,
        Payment.refunded_minor).where(
        Payment.status.in_(("succeeded", "partially_refunded", "refunded")),
        or_(Payment.received_on >= first,
            and_(Payment.received_on.is_(None), Payment.created_at >= since))))
    for received_on, created_at, currency, amount, refunded in rows:
        day = received_on or created_at.date()
        if not first <= day <= as_of:
            continue
        bucket = totals[week_start(day)]
        bucket[currency] = bucket.get(currency, 0) + amount - refunded
    return sorted(totals.items())


def prediction_scores(invoices) -> dict[int, RiskScore]:
    """For each invoice, its latest score made on or before the end of its due date
    (rows with invoice_id, probability, band, scored_at)."""
    due = {i.id: i.due_on for i in invoices}
    best: dict[int, RiskScore] = {}
    if not due:
        return best
    ids = list(due)
    columns = (RiskScore.invoice_id, RiskScore.scored_at, RiskScore.id, RiskScore.probability,
               RiskScore.band)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for s in db.session.execute(select(*columns).where(RiskScore.invoice_id.in_(chunk))):
            if s.scored_at.date() > due[s.invoice_id]:
                continue
            current = best.get(s.invoice_id)
            if current is None or (s.scored_at, s.id) > (current.scored_at, current.id):
                best[s.invoice_id] = s
    return best


def known_outcomes(as_of: date, since: date | None = None) -> list[Outcome]:
    """Invoices due before `as_of` (and on or after `since`) whose outcome is known."""
    query = select(Invoice.id, Invoice.due_on, Invoice.settled_on, Invoice.status).where(
        Invoice.status != "cancelled", Invoice.due_on < as_of)
    if since is not None:
        query = query.where(Invoice.due_on >= since)
    # A paid invoice without a settlement date has no knowable timing: left out.
    invoices = [i for i in db.session.execute(query)
                if not (i.status == "paid" and i.settled_on is None)]
    scores = prediction_scores(invoices)
    outcomes = []
    for inv in invoices:
        settled = inv.settled_on if inv.settled_on and inv.settled_on <= as_of else None
        late = settled > inv.due_on if settled else True  # unsettled past due: late
        outcomes.append(Outcome(inv, late, scores.get(inv.id)))
    return outcomes


def on_time_share_by_band(as_of: date, since: date | None = None) -> dict[str, dict]:
    """{band: {"invoices": n, "on_time": k, "share": k/n}} for invoices with a known outcome."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for outcome in known_outcomes(as_of, since):
        counts[outcome.band][0] += 1
        counts[outcome.band][1] += 0 if outcome.late else 1
    order = [b for b in (*BANDS, "unscored") if b in counts]
    return {b: {"invoices": counts[b][0], "on_time": counts[b][1],
                "share": counts[b][1] / counts[b][0]} for b in order}


def _billed() -> list[tuple]:
    """(issued_on, settled_on, currency, amount_minor) of every invoice not cancelled."""
    return [tuple(row) for row in db.session.execute(
        select(Invoice.issued_on, Invoice.settled_on, Invoice.currency, Invoice.amount_minor)
        .where(Invoice.status != "cancelled"))]


def dso(as_of: date, window_days: int = DSO_WINDOW_DAYS, invoices=None
        ) -> dict[str, float | None]:
    """Days sales outstanding per currency: receivables on `as_of` (invoices issued and not
    yet settled, at face value) ÷ amounts invoiced in the window × window days."""
    invoices = _billed() if invoices is None else invoices
    start = as_of - timedelta(days=window_days)
    outstanding: dict[str, int] = defaultdict(int)
    sales: dict[str, int] = defaultdict(int)
    for issued_on, settled_on, currency, amount in invoices:
        if issued_on > as_of:
            continue
        if settled_on is None or settled_on > as_of:
            outstanding[currency] += amount
        if issued_on > start:
            sales[currency] += amount
    currencies = sorted(set(outstanding) | set(sales))
    return {c: (outstanding[c] / sales[c] * window_days if sales[c] else None)
            for c in currencies}


def dso_by_month(as_of: date, months: int = 6) -> list[tuple[date, dict[str, float | None]]]:
    """DSO at the end of each of the last `months` months (the last one ends on `as_of`)."""
    ends = [as_of]
    for _ in range(months - 1):
        ends.append(ends[-1].replace(day=1) - timedelta(days=1))
    invoices = _billed()
    return [(end, dso(end, invoices=invoices)) for end in reversed(ends)]


def promise_kept_rate(as_of: date, since: date | None = None) -> dict:
    """Promises due by `as_of` that were kept, broken or are still open past their date."""
    query = select(PromiseToPay).where(PromiseToPay.promised_on < as_of,
                                       PromiseToPay.status != "cancelled")
    if since is not None:
        query = query.where(PromiseToPay.promised_on >= since)
    rows = db.session.scalars(query).all()
    kept = sum(1 for p in rows if p.status == "kept")
    broken = sum(1 for p in rows if p.status != "kept")
    total = kept + broken
    return {"kept": kept, "broken": broken, "total": total,
            "rate": kept / total if total else None}


def plan_completion(as_of: date) -> dict:
    """Payment plans by status; completion rate among plans that have ended."""
    end = datetime.combine(as_of + timedelta(days=1), time(), UTC)
    plans = db.session.scalars(select(PaymentPlan).where(PaymentPlan.created_at < end)).all()
    counts = {s: 0 for s in ("pending", "active", "completed", "broken", "cancelled")}
    for plan in plans:
        counts[plan.status] = counts.get(plan.status, 0) + 1
    ended = counts["completed"] + counts["broken"] + counts["cancelled"]
    return {**counts, "ended": ended,
            "rate": counts["completed"] / ended if ended else None}
