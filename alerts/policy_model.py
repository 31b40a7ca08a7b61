"""The alert policy as one typed, validated, immutable object.

The stored AlertPolicy version is a JSON document (`alerts.settings`); `parse_policy` turns it
into a `Policy` once, checking every rule, and raises `PolicyError` with readable sentences
otherwise. Everything that decides who is contacted reads the `Policy`: there is one
`Policy.band_for` (the risk band), and the object cannot be changed after parsing (frozen
dataclasses, tuples and read-only mappings), so a preview cannot leak into planning.

Frozen dataclasses rather than a validation library: the checks are domain rules across
fields (cut-offs ordered, caps ordered), and the standard library covers the rest.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from functools import lru_cache
from types import MappingProxyType
from typing import Any

BANDS = ("low", "medium", "high")
CHANNELS = ("email", "sms", "whatsapp", "push")
TONES = ("gentle", "neutral", "firm")
FREQUENCIES = ("weekly", "fortnightly", "monthly")
JURISDICTIONS = (None, "CO")
UNSCORED_BAND = "medium"  # an invoice without a risk score is treated as medium risk


DEFAULT_SETTINGS: dict[str, Any] = {
    # Calibrated late-payment probability at or above which an invoice is in the band.
    "band_cutoffs": {"medium": 0.25, "high": 0.50},
    # Preventive reminders: days before the due date (0 = on the due date).
    "lead_days": {"high": [7, 2, 0], "medium": [3], "low": []},
    # Follow-ups after the due date, for every band.
    "followup_days": [1, 7],
    # Channels allowed per band, in fallback order; the debtor's preference comes first.
    "channels": {
        "high": ["email", "whatsapp", "sms", "push"],
        "medium": ["email", "push", "sms"],
        "low": ["email"],
    },
    "tone": {"high": "neutral", "medium": "gentle", "low": "gentle", "followup": "neutral"},
    "caps": {"per_day": 1, "per_week": 3},
    "quiet_hours": {"start": "08:00", "end": "20:00", "weekdays": [0, 1, 2, 3, 4, 5]},
    "jurisdiction": None,  # or "CO" (Ley 2300 de 2023)
    "holdout_share": 0.05,
    "holdout_salt": "saldo-holdout-v1",  # change it to draw a new holdout group
    "installment_lead_days": [2],  # plan instalment reminders, days before each one
    "escalate_unopened_days": 3,
    "promise_window_days": 30,
    "plans": {
        "installments": [2, 3, 4, 6],
        "frequencies": ["weekly", "fortnightly", "monthly"],
        "min_installment_major": {"COP": 20000, "MXN": 100, "BRL": 20, "USD": 10},
        "max_duration_days": 180,
        "first_due_today": True,
        "retry_days": [1, 3],  # failed instalment retried this many days after its due date
    },
}


def merged(settings: dict | None) -> dict:
    """Defaults overlaid with `settings` (one level of nesting merged key by key)."""
    result = copy.deepcopy(DEFAULT_SETTINGS)
    for key, value in (settings or {}).items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = {**result[key], **copy.deepcopy(value)}
        else:
            result[key] = copy.deepcopy(value)
    return result


def as_policy(settings) -> Policy:
    """`settings` as a Policy: a Policy as is, a (partial) settings document over the
    defaults parsed once per distinct document (raises PolicyError), None: the defaults."""
    if isinstance(settings, Policy):
        return settings
    return _parsed(json.dumps(merged(settings), sort_keys=True, default=str))


@lru_cache(maxsize=64)
def _parsed(document: str) -> Policy:
    return parse_policy(json.loads(document))


class PolicyError(ValueError):
    """The settings cannot be used; `problems` lists why, one sentence each."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class PlanOffers:
    installments: tuple[int, ...]
    frequencies: tuple[str, ...]
    min_installment_major: Mapping[str, float]
    max_duration_days: int
    first_due_today: bool
    retry_days: tuple[int, ...]


@dataclass(frozen=True)
class Policy:
    cut_medium: float
    cut_high: float
    lead_days: Mapping[str, tuple[int, ...]]
    followup_days: tuple[int, ...]
    channels: Mapping[str, tuple[str, ...]]
    tone: Mapping[str, str]
    per_day: int
    per_week: int
    quiet_start: time
    quiet_end: time
    weekdays: tuple[int, ...]
    jurisdiction: str | None
    holdout_share: float
    holdout_salt: str
    installment_lead_days: tuple[int, ...]
    escalate_unopened_days: int
    promise_window_days: int
    plans: PlanOffers
    # The document it was parsed from (read-only); two policies deciding alike are equal
    # even when their documents list the same days in another order.
    source: Mapping[str, Any] = field(compare=False, repr=False)

    def band_for(self, probability: float | None) -> str:
        """The risk band of a calibrated late-payment probability (None: unscored)."""
        if probability is None:
            return UNSCORED_BAND
        if probability >= self.cut_high:
            return "high"
        return "medium" if probability >= self.cut_medium else "low"

    def leads(self, band: str) -> tuple[int, ...]:
        return self.lead_days.get(band, ())

    def all_leads(self) -> list[int]:
        return sorted({d for days in self.lead_days.values() for d in days}, reverse=True)

    def band_channels(self, band: str) -> tuple[str, ...]:
        return self.channels.get(band) or self.channels["high"]

    def to_dict(self) -> dict:
        """The settings document (a fresh, mutable copy)."""
        return copy.deepcopy(_thaw(self.source))


def _thaw(value):
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_thaw(v) for v in value]
    return value


def _freeze(value):
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _time(value) -> time | None:
    try:
        hours, minutes = str(value).split(":")
        return time(int(hours), int(minutes))
    except (ValueError, TypeError):
        return None


class _Checker:
    def __init__(self, data: dict):
        self.data, self.problems = data, []

    def need(self, ok: bool, problem: str) -> bool:
        if not ok:
            self.problems.append(problem)
        return ok


def _cutoffs(c: _Checker) -> tuple[float, float]:
    cut = c.data.get("band_cutoffs", {})
    try:
        medium, high = float(cut["medium"]), float(cut["high"])
    except (KeyError, TypeError, ValueError):
        c.problems.append("Band cut-offs need numeric 'medium' and 'high' values.")
        return 0.25, 0.5
    c.need(0 < medium < high < 1, "Band cut-offs must satisfy 0 < medium < high < 1.")
    return medium, high


def _bands(c: _Checker) -> tuple[dict, dict, dict]:
    leads, channels = {}, {}
    for band, days in c.data.get("lead_days", {}).items():
        if band not in BANDS or not isinstance(days, list | tuple):
            c.problems.append(f"Lead days for {band!r} must be a list.")
        elif c.need(all(_is_int(d) and 0 <= d <= 30 for d in days),
                    f"Lead days for {band} must be whole days between 0 and 30."):
            leads[band] = tuple(sorted(set(days), reverse=True))
    for band, names in c.data.get("channels", {}).items():
        if not names:
            c.problems.append(f"The {band} band needs at least one channel.")
        elif c.need(all(n in CHANNELS for n in names), f"Unknown channel for the {band} band."):
            channels[band] = tuple(dict.fromkeys(names))
    if "high" not in c.data.get("channels", {}):
        c.problems.append("The high band needs at least one channel.")
    tones = {}
    for key, tone in c.data.get("tone", {}).items():
        if c.need(tone in TONES, f"Unknown tone {tone!r} for {key}."):
            tones[key] = tone
    return leads, channels, tones


def _days(c: _Checker, key: str, low: int, high: int, default) -> tuple[int, ...]:
    days = c.data.get(key, default)
    ok = isinstance(days, list | tuple) and all(_is_int(d) and low <= d <= high for d in days)
    c.need(ok, f"'{key}' must be whole days between {low} and {high}.")
    return tuple(sorted(set(days))) if ok else tuple(default)


def _contact(c: _Checker) -> dict:
    caps = c.data.get("caps", {})
    per_day, per_week = caps.get("per_day"), caps.get("per_week")
    c.need(_is_int(per_day) and _is_int(per_week) and 1 <= per_day <= per_week <= 14,
           "Caps must satisfy 1 ≤ per day ≤ per week ≤ 14.")
    quiet = c.data.get("quiet_hours", {})
    start, end = _time(quiet.get("start")), _time(quiet.get("end"))
    c.need(start is not None and end is not None and start < end,
           "Sending hours need a start before the end, like 08:00 and 20:00.")
    weekdays = quiet.get("weekdays", [0, 1, 2, 3, 4, 5])
    c.need(isinstance(weekdays, list | tuple) and all(_is_int(d) and 0 <= d <= 6
                                                       for d in weekdays),
           "Sending weekdays must be numbers from 0 (Monday) to 6.")
    share = c.data.get("holdout_share", 0)
    c.need(isinstance(share, int | float) and not isinstance(share, bool) and 0 <= share <= 0.5,
           "The holdout share must be between 0 and 0.5.")
    window = c.data.get("promise_window_days")
    c.need(_is_int(window) and 1 <= window <= 90,
           "The promise window must be between 1 and 90 days.")
    escalate = c.data.get("escalate_unopened_days", 0)
    c.need(_is_int(escalate) and 0 <= escalate <= 30,
           "Escalation must be between 0 and 30 days.")
    c.need(c.data.get("jurisdiction") in JURISDICTIONS, "Unknown jurisdiction profile.")
    return {"per_day": per_day if _is_int(per_day) else 1,
            "per_week": per_week if _is_int(per_week) else 3,
            "quiet_start": start or time(8), "quiet_end": end or time(20),
            "weekdays": tuple(sorted(set(weekdays))) if isinstance(weekdays, list | tuple)
            else (0, 1, 2, 3, 4, 5),
            "holdout_share": float(share) if isinstance(share, int | float) else 0.0,
            "promise_window_days": window if _is_int(window) else 30,
            "escalate_unopened_days": escalate if _is_int(escalate) else 0}


def _plans(c: _Checker) -> PlanOffers:
    """Payment-plan offers: 2–12 instalments, known frequencies, sane limits and retries."""
    plans = c.data.get("plans", {})
    counts = plans.get("installments")
    c.need(bool(counts) and all(_is_int(n) and 2 <= n <= 12 for n in counts),
           "Plan instalment counts must be whole numbers between 2 and 12.")
    frequencies = plans.get("frequencies")
    c.need(bool(frequencies) and all(f in FREQUENCIES for f in frequencies),
           "Plan frequencies must be weekly, fortnightly or monthly.")
    minimums = plans.get("min_installment_major", {})
    c.need(isinstance(minimums, dict) and all(
        isinstance(v, int | float) and v >= 0 for v in minimums.values()),
        "Minimum instalments must be zero or more.")
    duration = plans.get("max_duration_days")
    c.need(_is_int(duration) and 7 <= duration <= 730,
           "The longest plan must be between 7 and 730 days.")
    retries = plans.get("retry_days", [])
    c.need(isinstance(retries, list | tuple) and all(
        _is_int(d) and 1 <= d <= 30 for d in retries) and list(retries) == sorted(set(retries)),
        "Retry days must be increasing whole days between 1 and 30.")
    return PlanOffers(tuple(counts or ()), tuple(frequencies or ()),
                      _freeze(minimums if isinstance(minimums, dict) else {}),
                      duration if _is_int(duration) else 180,
                      bool(plans.get("first_due_today")), tuple(retries or ()))


def policy_problems(data: dict) -> list[str]:
    """Why `data` (a full settings document) cannot be used; empty when it can."""
    try:
        parse_policy(data)
    except PolicyError as exc:
        return exc.problems
    return []


def parse_policy(data: dict) -> Policy:
    """The `Policy` a full settings document describes. Raises PolicyError."""
    c = _Checker(data)
    medium, high = _cutoffs(c)
    leads, channels, tones = _bands(c)
    followup = _days(c, "followup_days", 1, 90, [1, 7])
    installment_leads = _days(c, "installment_lead_days", 0, 30, [2])
    contact = _contact(c)
    plans = _plans(c)
    if c.problems:
        raise PolicyError(c.problems)
    return Policy(
        cut_medium=medium, cut_high=high, lead_days=_freeze(leads), followup_days=followup,
        channels=_freeze(channels), tone=_freeze(tones), jurisdiction=data.get("jurisdiction"),
        holdout_salt=str(data.get("holdout_salt") or "saldo-holdout-v1"),
        installment_lead_days=installment_leads, plans=plans, source=_freeze(data), **contact)
