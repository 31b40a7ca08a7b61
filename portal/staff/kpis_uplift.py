"""Uplift of reminders vs the holdout group, per risk band, with what it would take to know.

For each band (the band a reminder was planned under, `Message.band`): the late rate of
invoices reminded before their due date and of invoices held out, their difference with a
95 % normal-approximation interval (`kpis_alerts.proportion_difference`), and how many
invoices each group needs to detect a 5-point difference (two-sided α = 0.05, power 0.8):

    n = (z₀.₉₇₅ + z₀.₈)² · (p(1 − p) + q(1 − q)) / 0.05²,  p = the band's late rate,
    q = p − 0.05 (or p + 0.05 when p < 0.05)

`still_needed` is what the two groups lack together (0 once both reach n).
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.models import Message
from portal.staff.kpis import BANDS, known_outcomes
from portal.staff.kpis_alerts import Z95, _day_bounds, proportion_difference

Z80 = 0.841621
DETECT = 0.05


def invoices_needed(late_rate: float, difference: float = DETECT) -> int:
    """Invoices per group to detect `difference` around `late_rate` (see the docstring)."""
    p = min(max(late_rate, 0.0), 1.0)
    q = p - difference if p - difference >= 0 else p + difference
    variance = p * (1 - p) + q * (1 - q)
    return math.ceil((Z95 + Z80) ** 2 * max(variance, 1e-9) / difference ** 2)


def uplift_by_band(as_of: date, days: int = 90) -> dict[str, dict]:
    """{band: {"reminded", "reminded_late", "holdout", "holdout_late", "uplift",
    "needed_per_group", "still_needed"}} for invoices due in the last `days` days."""
    since = as_of - timedelta(days=days)
    outcomes = {o.invoice.id: o for o in known_outcomes(as_of, since)}
    start, end = _day_bounds(since - timedelta(days=31), as_of)
    reminded: dict[int, str] = {}
    held_out: dict[int, str] = {}
    rows = db.session.execute(select(
        Message.invoice_id, Message.status, Message.reason, Message.band, Message.sent_at,
        Message.send_at).where(
        Message.invoice_id.in_(outcomes) if outcomes else Message.id < 0,
        Message.band.in_(BANDS), Message.send_at >= start, Message.send_at < end))
    for invoice_id, status, reason, band, sent_at, send_at in rows:
        due = outcomes[invoice_id].invoice.due_on
        if status == "sent" and (sent_at or send_at).date() <= due:
            reminded.setdefault(invoice_id, band)
        elif status == "skipped" and reason == "holdout":
            held_out.setdefault(invoice_id, band)
    groups: dict[str, dict[str, list[int]]] = defaultdict(lambda: {"r": [], "h": []})
    for invoice_id, band in reminded.items():
        groups[band]["r"].append(invoice_id)
    for invoice_id, band in held_out.items():
        if invoice_id not in reminded:
            groups[band]["h"].append(invoice_id)
    result = {}
    for band in (b for b in BANDS if b in groups):
        r, h = groups[band]["r"], groups[band]["h"]
        late_r = sum(outcomes[i].late for i in r)
        late_h = sum(outcomes[i].late for i in h)
        pooled = (late_r + late_h) / (len(r) + len(h))
        needed = invoices_needed(pooled)
        result[band] = {"reminded": len(r), "reminded_late": late_r, "holdout": len(h),
                        "holdout_late": late_h,
                        "uplift": proportion_difference(late_r, len(r), late_h, len(h)),
                        "needed_per_group": needed,
                        "still_needed": max(0, needed - len(r)) + max(0, needed - len(h))}
    return result
