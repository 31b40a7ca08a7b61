"""Dashboard figures about reminders: sent vs skipped by band, channel performance, uplift.

Skipped messages are outbox rows with status 'skipped' (their `reason` says why; 'holdout'
marks the random control group). A reminder's band is the band it was planned under
(`Message.band`, written by the planner with the policy in force then); rows planned before
that column existed fall back to the band of the invoice's latest risk score made no later
than the message's send time.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.models import Invoice, Message, RiskScore
from portal.staff.kpis import BANDS, known_outcomes

PAID_WITHIN_DAYS = 7
Z95 = 1.959964


def _day_bounds(since: date, as_of: date) -> tuple[datetime, datetime]:
    return (datetime.combine(since, time(), UTC),
            datetime.combine(as_of + timedelta(days=1), time(), UTC))


def _messages(since: date, as_of: date, statuses) -> list[Message]:
    start, end = _day_bounds(since, as_of)
    return list(db.session.scalars(select(Message).where(
        Message.status.in_(statuses), Message.send_at >= start, Message.send_at < end,
        Message.kind != "webhook")))  # messages to debtors; webhooks go to the billing system


class BandLookup:
    """The band of an invoice's latest score at a moment (None: not scored by then)."""

    def __init__(self, invoice_ids):
        self._scores: dict[int, list[tuple[datetime, int, str]]] = defaultdict(list)
        ids = [i for i in set(invoice_ids) if i is not None]
        for start in range(0, len(ids), 500):
            query = select(RiskScore).where(RiskScore.invoice_id.in_(ids[start:start + 500]))
            for s in db.session.scalars(query):
                self._scores[s.invoice_id].append((s.scored_at, s.id, s.band))
        for scores in self._scores.values():
            scores.sort()

    def band(self, invoice_id: int | None, at: datetime) -> str:
        scores = self._scores.get(invoice_id) or []
        index = bisect.bisect_right(scores, (at, math.inf, ""))
        return scores[index - 1][2] if index else "unscored"


def reminders_by_band(as_of: date, days: int = 30) -> dict[str, dict[str, int]]:
    """{band: {"sent": n, "skipped": m}} for messages due to go out in the last `days` days."""
    messages = _messages(as_of - timedelta(days=days - 1), as_of, ("sent", "skipped"))
    lookup = BandLookup(m.invoice_id for m in messages if m.band is None)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"sent": 0, "skipped": 0})
    for m in messages:
        if m.band == "plan":
            continue  # instalment reminders have no risk band
        band = m.band or lookup.band(m.invoice_id, m.sent_at or m.send_at)
        counts[band][m.status] += 1
    return {b: counts[b] for b in (*BANDS, "unscored") if b in counts}


def skipped_by_reason(as_of: date, days: int = 30) -> dict[str, int]:
    result: dict[str, int] = defaultdict(int)
    for m in _messages(as_of - timedelta(days=days - 1), as_of, ("skipped",)):
        result[m.reason] += 1
    return dict(sorted(result.items(), key=lambda kv: -kv[1]))


def channel_performance(as_of: date, days: int = 30) -> dict[str, dict[str, int]]:
    """Per channel: attempted, delivered, failed, opened, clicked, and paid within 7 days
    (the message's invoice settled within 7 days of sending)."""
    messages = _messages(as_of - timedelta(days=days - 1), as_of, ("sent", "failed"))
    invoice_ids = {m.invoice_id for m in messages if m.invoice_id}
    settled = {i.id: i.settled_on for i in db.session.scalars(
        select(Invoice).where(Invoice.id.in_(invoice_ids)))} if invoice_ids else {}
    keys = ("attempted", "delivered", "failed", "opened", "clicked", "paid_7d")
    result: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(keys, 0))
    for m in messages:
        row = result[m.channel]
        row["attempted"] += 1
        if m.status == "failed":
            row["failed"] += 1
            continue
        row["delivered"] += 1
        row["opened"] += 1 if m.opened_at else 0
        row["clicked"] += 1 if m.clicked_at else 0
        paid_on = settled.get(m.invoice_id)
        sent_day = (m.sent_at or m.send_at).date()
        if paid_on and sent_day <= paid_on <= sent_day + timedelta(days=PAID_WITHIN_DAYS):
            row["paid_7d"] += 1
    return dict(sorted(result.items()))


def proportion_difference(late_a: int, n_a: int, late_b: int, n_b: int) -> dict | None:
    """Difference of late rates b − a with a 95% normal-approximation interval."""
    if not n_a or not n_b:
        return None
    p_a, p_b = late_a / n_a, late_b / n_b
    se = math.sqrt(p_a * (1 - p_a) / n_a + p_b * (1 - p_b) / n_b)
    diff = p_b - p_a
    return {"difference": diff, "low": diff - Z95 * se, "high": diff + Z95 * se, "se": se}


def uplift_vs_holdout(as_of: date, days: int = 90) -> dict:
    """Late rate of invoices held out from reminders minus that of invoices reminded before
    their due date (positive: reminders prevent late payment), with a 95% interval.

    Invoices due in the last `days` days with a known outcome count: reminded when a message
    was sent on or before the due date, held out when a 'holdout' skip was recorded and
    nothing was sent before the due date.
    """
    since = as_of - timedelta(days=days)
    outcomes = {o.invoice.id: o for o in known_outcomes(as_of, since)}
    reminded, held_out = set(), set()
    start, end = _day_bounds(since - timedelta(days=31), as_of)
    rows = db.session.execute(select(Message.invoice_id, Message.status, Message.reason,
                                     Message.sent_at, Message.send_at).where(
        Message.invoice_id.in_(outcomes) if outcomes else Message.id < 0,
        Message.send_at >= start, Message.send_at < end))
    for invoice_id, status, reason, sent_at, send_at in rows:
        due = outcomes[invoice_id].invoice.due_on
        if status == "sent" and (sent_at or send_at).date() <= due:
            reminded.add(invoice_id)
        elif status == "skipped" and reason == "holdout":
            held_out.add(invoice_id)
    held_out -= reminded
    late_r = sum(outcomes[i].late for i in reminded)
    late_h = sum(outcomes[i].late for i in held_out)
    return {"reminded": len(reminded), "reminded_late": late_r,
            "holdout": len(held_out), "holdout_late": late_h,
            "reminded_rate": late_r / len(reminded) if reminded else None,
            "holdout_rate": late_h / len(held_out) if held_out else None,
            "uplift": proportion_difference(late_r, len(reminded), late_h, len(held_out))}
