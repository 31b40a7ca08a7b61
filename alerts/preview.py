"""The staff what-if: what a draft policy would do over the next days next to the active one.

Both columns come from the same frozen inputs (`freeze`): one as-of time, one read of the
ledger (the invoices either policy could act on in the horizon, with their latest scores and
the debtors' contact history), and one holdout assignment (the active policy's, unless the
draft changes the holdout share or salt). Each column runs the planner's own `decide` day by
day; messages planned on earlier simulated days count towards later caps. So previewing the
active policy gives identical columns, and every difference is traced per debtor to a
"move" (`compare`): an invoice changing band, a debtor joining or leaving the holdout group,
or the same band treated differently (lead days, channels, caps).

On a large portfolio the simulation runs on a stable sample of debtors (every n-th id, so
that about SAMPLE_INVOICES invoices remain) and scales counts up; `sample_share` says so.
Expected late invoices are sums of risk probabilities (unscored: UNSCORED_LATE).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from alerts.facts import Contact, Snapshot
from alerts.policy import decide, firing_due_dates, in_holdout
from alerts.policy_model import Policy, as_policy
from alerts.snapshot import count_invoices, due_dates, load_window

SAMPLE_INVOICES = 40_000
HORIZONS = (7, 14, 30)
UNSCORED_LATE = 0.25  # expected lateness of an unscored invoice, the same in both columns
SAMPLES_PER_MOVE = 5


@dataclass(frozen=True)
class Frozen:
    """The inputs both columns share."""

    start: date
    days: int
    as_of: datetime
    window: Snapshot
    scale: int
    holdout: frozenset[int]
    active: Policy

    def holdout_for(self, policy: Policy) -> frozenset[int]:
        same = (policy.holdout_share, policy.holdout_salt) == \
            (self.active.holdout_share, self.active.holdout_salt)
        if same:
            return self.holdout
        return frozenset(d for d in self.window.debtors if in_holdout(d, policy))


def freeze(active: Policy, drafts: list[Policy], start: date, days: int,
           as_of: datetime | None = None) -> Frozen:
    """Read once what any of the policies could act on between `start` and `start + days`."""
    invoice_days, installment_days = set(), set()
    for policy in (active, *drafts):
        invoices, installments = due_dates(policy, start, days)
        invoice_days |= invoices
        installment_days |= installments
    total = count_invoices(invoice_days) if invoice_days else 0
    scale = max(1, math.ceil(total / SAMPLE_INVOICES))
    as_of = as_of or datetime.combine(start, time(0), tzinfo=UTC)
    window = load_window(start, as_of, invoice_days, installment_days, scale)
    holdout = frozenset(d for d in window.debtors if in_holdout(d, active))
    return Frozen(start, days, as_of, window, scale, holdout, active)


class _Merged:
    """Real contact history plus the messages simulated on earlier preview days."""

    def __init__(self, real: dict, simulated: dict):
        self.real, self.simulated = real, simulated

    def get(self, debtor_id: int, default=None) -> list:
        return [*self.real.get(debtor_id, ()), *self.simulated.get(debtor_id, ())]


class Column:
    """What one policy does to the frozen inputs, kept per debtor so changes can be traced."""

    def __init__(self):
        self.planned: Counter = Counter()  # (band, channel) -> n
        self.skipped: Counter = Counter()  # reason -> n
        self.skipped_by_band: Counter = Counter()
        self.by_debtor: dict[int, Counter] = defaultdict(Counter)  # outcome -> n
        self.channels: dict[int, Counter] = defaultdict(Counter)
        self.reminded: dict[int, float | None] = {}
        self.passed: dict[int, float | None] = {}
        self.simulated: dict[int, list[Contact]] = defaultdict(list)

    def add(self, decisions) -> None:
        for item in decisions.planned:
            self.planned[(item.band, item.channel)] += 1
            self.by_debtor[item.debtor_id][("sent", item.band, item.channel)] += 1
            self.channels[item.debtor_id][item.channel] += 1
            self.simulated[item.debtor_id].append(Contact(item.send_at, item.channel))
            if item.invoice_id:
                self.reminded[item.invoice_id] = item.probability
        for item in decisions.skipped:
            self.skipped[item.reason] += 1
            self.skipped_by_band[item.band] += 1
            self.by_debtor[item.debtor_id][("skipped", item.band, item.reason)] += 1
            if item.invoice_id:
                self.passed[item.invoice_id] = item.probability

    def figures(self, scale: int) -> dict[str, float]:
        """{row key: value}; keys are unique and stable (`compare` pairs them up)."""
        def expected(values):
            return round(scale * sum(UNSCORED_LATE if p is None else p for p in values), 4)

        rows = {"messages": scale * sum(self.planned.values()),
                "debtors_contacted": scale * len(self.channels),
                "expected_late_reminded": expected(self.reminded.values()),
                "expected_late_skipped": expected(
                    p for k, p in self.passed.items() if k not in self.reminded)}
        for (band, channel), n in sorted(self.planned.items()):
            rows[f"planned:{band}:{channel}"] = scale * n
        for band, n in sorted(self.skipped_by_band.items()):
            rows[f"skipped_band:{band}"] = scale * n
        for reason, n in sorted(self.skipped.items()):
            rows[f"skipped:{reason}"] = scale * n
        return rows


def simulate(frozen: Frozen, policy: Policy) -> Column:
    """Run the planner's `decide` for each day of the horizon on the frozen inputs."""
    window, column = frozen.window, Column()
    by_due = defaultdict(list)
    for invoice in window.invoices:
        by_due[invoice.due_on].append(invoice)
    countries = {d.country for d in window.debtors.values()}
    holdout = frozen.holdout_for(policy)
    for offset in range(frozen.days):
        day = frozen.start + timedelta(days=offset)
        firing = {due for by_country in firing_due_dates(policy, countries, day).values()
                  for due in by_country}
        now = max(frozen.as_of, datetime.combine(day, time(0), tzinfo=UTC))
        snapshot = Snapshot(day, now, [i for due in firing for i in by_due.get(due, ())],
                            window.installments, window.debtors,
                            _Merged(window.contacts, column.simulated), holdout)
        column.add(decide(snapshot, policy))
    return column


def _move_of(debtor_id: int, frozen: Frozen, active: Policy, draft: Policy,
             invoices_of: dict) -> tuple:
    for invoice in invoices_of.get(debtor_id, ()):
        before, after = active.band_for(invoice.probability), draft.band_for(invoice.probability)
        if before != after:
            return ("band", before, after)
    held_before = debtor_id in frozen.holdout
    if held_before != (debtor_id in frozen.holdout_for(draft)):
        return ("holdout", "holdout" if held_before else "contacted",
                "contacted" if held_before else "holdout")
    band = active.band_for(invoices_of[debtor_id][0].probability) \
        if invoices_of.get(debtor_id) else "plan"
    return ("rules", band, band)


def moves(frozen: Frozen, draft: Policy, a: Column, b: Column) -> list[dict]:
    """Every debtor treated differently, grouped by why: band moves, holdout changes, and
    the same band under changed rules; with message changes per channel and samples."""
    invoices_of = defaultdict(list)
    for invoice in frozen.window.invoices:
        invoices_of[invoice.debtor_id].append(invoice)
    groups: dict[tuple, dict] = {}
    debtors = set(a.by_debtor) | set(b.by_debtor) | {
        i.debtor_id for i in frozen.window.invoices
        if frozen.active.band_for(i.probability) != draft.band_for(i.probability)}
    for debtor_id in sorted(debtors):
        if a.by_debtor.get(debtor_id) == b.by_debtor.get(debtor_id) and not any(
                frozen.active.band_for(i.probability) != draft.band_for(i.probability)
                for i in invoices_of.get(debtor_id, ())):
            continue
        key = _move_of(debtor_id, frozen, frozen.active, draft, invoices_of)
        group = groups.setdefault(key, {"kind": key[0], "from": key[1], "to": key[2],
                                        "debtors": 0, "messages": Counter(), "samples": []})
        group["debtors"] += 1
        group["messages"].update(b.channels.get(debtor_id, Counter()))
        group["messages"].subtract(a.channels.get(debtor_id, Counter()))
        if len(group["samples"]) < SAMPLES_PER_MOVE:
            group["samples"].append(frozen.window.debtors[debtor_id].external_id
                                    if debtor_id in frozen.window.debtors else str(debtor_id))
    out = []
    for group in groups.values():
        deltas = {c: n * frozen.scale for c, n in sorted(group["messages"].items()) if n}
        out.append({**group, "debtors": group["debtors"] * frozen.scale, "messages": deltas,
                    "message_delta": sum(deltas.values())})
    return sorted(out, key=lambda g: (-g["debtors"], g["kind"], g["from"], g["to"]))


def compare(active, draft, start: date, days: int = 14,
            as_of: datetime | None = None) -> dict:
    """Both columns and the moves: {"rows": [{"key", "active", "draft"}], "moves": [...],
    "days", "as_of", "sample_share"}."""
    active, draft = as_policy(active), as_policy(draft)
    frozen = freeze(active, [draft], start, days, as_of)
    a = simulate(frozen, active)
    b = simulate(frozen, draft)  # run even when equal: identical columns are the check
    fa, fb = a.figures(frozen.scale), b.figures(frozen.scale)
    keys = list(fa) + [k for k in fb if k not in fa]
    rows = [{"key": k, "active": fa.get(k, 0), "draft": fb.get(k, 0)} for k in keys]
    return {"rows": rows, "moves": moves(frozen, draft, a, b), "days": days,
            "as_of": frozen.as_of.isoformat(), "sample_share": round(1 / frozen.scale, 4)}


def preview(settings, start: date, days: int = 14) -> dict:
    """One policy's figures over `days` days from `start`: {row key: value} plus
    "sample_share"."""
    policy = as_policy(settings)
    frozen = freeze(policy, [], start, days)
    return {**simulate(frozen, policy).figures(frozen.scale),
            "sample_share": round(1 / frozen.scale, 4)}
