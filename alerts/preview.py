"""The staff what-if: what a draft policy would do over the next days, without writing.

It runs the same policy code day by day on the live data, read once for the whole window.
Messages planned on earlier simulated days count towards the caps of later ones. On a large
portfolio it runs on a stable sample of debtors (every n-th debtor id, so that about
SAMPLE_INVOICES invoices remain) and scales the counts up; `sample_share` says so.
Expected late invoices are sums of risk probabilities (unscored: the default medium
cut-off, kept fixed so that previews of different cut-offs stay comparable).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta

from alerts.facts import Contact, Snapshot
from alerts.policy import decide, firing_due_dates
from alerts.snapshot import count_invoices, due_dates, load_snapshot

SAMPLE_INVOICES = 40_000


class _Merged:
    """Real contact history plus the messages simulated on earlier preview days."""

    def __init__(self, real: dict, simulated: dict):
        self.real, self.simulated = real, simulated

    def get(self, debtor_id: int, default=None) -> list:
        return [*self.real.get(debtor_id, ()), *self.simulated.get(debtor_id, ())]


def _expected(probability: float | None) -> float:
    from alerts.policy_model import DEFAULT_SETTINGS

    if probability is not None:
        return probability
    return float(DEFAULT_SETTINGS["band_cutoffs"]["medium"])


class _Tally:
    def __init__(self):
        self.planned: dict[str, Counter] = defaultdict(Counter)
        self.skipped, self.skipped_by_band = Counter(), Counter()
        self.contacted, self.reminded, self.passed = set(), {}, {}
        self.simulated: dict[int, list[Contact]] = defaultdict(list)
        self.messages = 0

    def add(self, decisions) -> None:
        for item in decisions.planned:
            self.planned[item.band][item.channel] += 1
            self.contacted.add(item.debtor_id)
            self.simulated[item.debtor_id].append(Contact(item.send_at, item.channel))
            if item.invoice_id:
                self.reminded[item.invoice_id] = item.probability
            self.messages += 1
        for item in decisions.skipped:
            self.skipped[item.reason] += 1
            self.skipped_by_band[item.band] += 1
            if item.invoice_id:
                self.passed[item.invoice_id] = item.probability

    def result(self, scale: int) -> dict:
        def up(n):
            return n * scale

        late_skipped = sum(_expected(p) for k, p in self.passed.items()
                           if k not in self.reminded)
        return {
            "planned": {band: {c: up(n) for c, n in counts.items()}
                        for band, counts in self.planned.items()},
            "skipped": {k: up(n) for k, n in self.skipped.items()},
            "skipped_by_band": {k: up(n) for k, n in self.skipped_by_band.items()},
            "debtors_contacted": up(len(self.contacted)),
            "expected_late_reminded": round(up(sum(map(_expected, self.reminded.values()))), 4),
            "expected_late_skipped": round(up(late_skipped), 4),
            "messages": up(self.messages),
            "sample_share": round(1 / scale, 4),
        }


def preview(settings: dict, start: date, days: int = 14) -> dict:
    """What `settings` would do over `days` days from `start` (see the module docstring):
    {"planned": {band: {channel: n}}, "skipped": {reason: n}, "skipped_by_band": {band: n},
    "debtors_contacted", "expected_late_reminded", "expected_late_skipped", "messages",
    "sample_share"}."""
    from alerts.policy_model import as_policy

    settings = as_policy(settings)
    invoice_days, _ = due_dates(settings, start, days)
    total = count_invoices(invoice_days) if invoice_days else 0
    scale = max(1, math.ceil(total / SAMPLE_INVOICES))
    window = load_snapshot(start, settings, datetime.combine(start, time(0), tzinfo=UTC), days,
                           sample_mod=scale)
    by_due = defaultdict(list)
    for invoice in window.invoices:
        by_due[invoice.due_on].append(invoice)
    countries = {d.country for d in window.debtors.values()}
    tally = _Tally()
    for offset in range(days):
        day = start + timedelta(days=offset)
        firing = {due for by_country in firing_due_dates(settings, countries, day).values()
                  for due in by_country}
        snapshot = Snapshot(day, datetime.combine(day, time(0), tzinfo=UTC),
                            [i for due in firing for i in by_due.get(due, ())],
                            window.installments, window.debtors,
                            _Merged(window.contacts, tally.simulated))
        tally.add(decide(snapshot, settings))
    return tally.result(scale)
