"""The alert policy's settings: defaults, the active version, validation, saving, rollback.

Settings are one JSON document stored in versioned AlertPolicy rows; exactly one row is
active. Everything that decides who is contacted reads `active_settings()`: risk bands
(risk scoring), lead days, channels, tone, caps, quiet hours and holdout (alerts), the promise
window (portal) and payment-plan offers (payments). Staff edit them in the console.
"""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import func, select, update

from portal.extensions import db
from portal.models import AlertPolicy

BANDS = ("low", "medium", "high")
CHANNELS = ("email", "sms", "whatsapp", "push")
TONES = ("gentle", "neutral", "firm")
FREQUENCIES = ("weekly", "fortnightly", "monthly")

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


def active_policy() -> AlertPolicy | None:
    return db.session.scalar(select(AlertPolicy).where(AlertPolicy.is_active.is_(True)))


def active_settings() -> dict:
    """The settings in force: the active AlertPolicy over the defaults."""
    policy = active_policy()
    return merged(policy.settings if policy else None)


def band_for(probability: float, settings: dict | None = None) -> str:
    cutoffs = (settings or DEFAULT_SETTINGS)["band_cutoffs"]
    if probability >= cutoffs["high"]:
        return "high"
    if probability >= cutoffs["medium"]:
        return "medium"
    return "low"


def validate_settings(settings: dict) -> list[str]:
    """Problems that make `settings` unusable, as readable sentences (empty: valid)."""
    problems: list[str] = []
    cut = settings.get("band_cutoffs", {})
    try:
        if not 0 < float(cut["medium"]) < float(cut["high"]) < 1:
            problems.append("Band cut-offs must satisfy 0 < medium < high < 1.")
    except (KeyError, TypeError, ValueError):
        problems.append("Band cut-offs need numeric 'medium' and 'high' values.")
    for band, days in settings.get("lead_days", {}).items():
        if band not in BANDS or not isinstance(days, list):
            problems.append(f"Lead days for {band!r} must be a list.")
        elif any(not isinstance(d, int) or not 0 <= d <= 30 for d in days):
            problems.append(f"Lead days for {band} must be whole days between 0 and 30.")
    for band, channels in settings.get("channels", {}).items():
        if not channels:
            problems.append(f"The {band} band needs at least one channel.")
        elif any(c not in CHANNELS for c in channels):
            problems.append(f"Unknown channel for the {band} band.")
    for key, tone in settings.get("tone", {}).items():
        if tone not in TONES:
            problems.append(f"Unknown tone {tone!r} for {key}.")
    caps = settings.get("caps", {})
    if not (isinstance(caps.get("per_day"), int) and isinstance(caps.get("per_week"), int)
            and 1 <= caps["per_day"] <= caps["per_week"] <= 14):
        problems.append("Caps must satisfy 1 ≤ per day ≤ per week ≤ 14.")
    share = settings.get("holdout_share", 0)
    if not isinstance(share, int | float) or not 0 <= share <= 0.5:
        problems.append("The holdout share must be between 0 and 0.5.")
    window = settings.get("promise_window_days")
    if not isinstance(window, int) or not 1 <= window <= 90:
        problems.append("The promise window must be between 1 and 90 days.")
    if settings.get("jurisdiction") not in (None, "CO"):
        problems.append("Unknown jurisdiction profile.")
    problems.extend(_plan_problems(settings.get("plans", {})))
    return problems


def _plan_problems(plans: dict) -> list[str]:
    """Payment-plan offers: 2–12 instalments, known frequencies, sane limits and retries."""
    problems = []
    counts = plans.get("installments")
    if not counts or any(not isinstance(n, int) or not 2 <= n <= 12 for n in counts):
        problems.append("Plan instalment counts must be whole numbers between 2 and 12.")
    if not plans.get("frequencies") or any(f not in FREQUENCIES for f in plans["frequencies"]):
        problems.append("Plan frequencies must be weekly, fortnightly or monthly.")
    minimums = plans.get("min_installment_major", {})
    if not isinstance(minimums, dict) or any(
            not isinstance(v, int | float) or v < 0 for v in minimums.values()):
        problems.append("Minimum instalments must be zero or more.")
    duration = plans.get("max_duration_days")
    if not isinstance(duration, int) or not 7 <= duration <= 730:
        problems.append("The longest plan must be between 7 and 730 days.")
    retries = plans.get("retry_days", [])
    if not isinstance(retries, list) or any(
            not isinstance(d, int) or not 1 <= d <= 30 for d in retries) or (
            retries != sorted(set(retries))):
        problems.append("Retry days must be increasing whole days between 1 and 30.")
    return problems


def save_settings(settings: dict, *, staff_id: int | None = None, note: str | None = None
                  ) -> AlertPolicy:
    """Store `settings` as a new active version (the caller commits). Raises ValueError."""
    full = merged(settings)
    problems = validate_settings(full)
    if problems:
        raise ValueError("; ".join(problems))
    from portal.audit import record

    before = active_policy()
    next_version = (db.session.scalar(select(func.max(AlertPolicy.version))) or 0) + 1
    db.session.execute(update(AlertPolicy).values(is_active=False))
    policy = AlertPolicy(version=next_version, settings=full, is_active=True, note=note,
                         created_by_id=staff_id)
    db.session.add(policy)
    db.session.flush()
    record("staff" if staff_id else "system", staff_id, "policy.save", policy,
           before=before.settings if before else None, after=full)
    return policy


def rollback_to(version: int, *, staff_id: int | None = None) -> AlertPolicy:
    """Make an earlier version's settings active again, as a new version."""
    old = db.session.scalar(select(AlertPolicy).where(AlertPolicy.version == version))
    if old is None:
        raise ValueError(f"no policy version {version}")
    return save_settings(old.settings, staff_id=staff_id, note=f"rollback to version {version}")
