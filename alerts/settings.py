"""The alert policy's settings: defaults, the active version, validation, saving, rollback.

Settings are one JSON document stored in versioned AlertPolicy rows; exactly one row is
active. It is parsed once into a typed, immutable `alerts.policy_model.Policy`
(`current_policy()`). Everything that decides who is contacted reads it: risk bands
(risk scoring), lead days, channels, tone, caps, quiet hours and holdout (alerts), the promise
window (portal) and payment-plan offers (payments). Staff edit them in the console.
"""

from __future__ import annotations

from sqlalchemy import func, select, update

from alerts.policy_model import (  # noqa: F401 (the vocabulary, re-exported)
    BANDS,
    CHANNELS,
    DEFAULT_SETTINGS,
    FREQUENCIES,
    TONES,
    Policy,
    PolicyError,
    as_policy,
    merged,
    parse_policy,
    policy_problems,
)
from portal.extensions import db
from portal.models import AlertPolicy


def active_policy() -> AlertPolicy | None:
    return db.session.scalar(select(AlertPolicy).where(AlertPolicy.is_active.is_(True)))


def active_settings() -> dict:
    """The settings document in force (a copy): `current_policy()` as a dict."""
    return current_policy().to_dict()


def current_policy() -> Policy:
    """The policy in force, parsed once per stored version (a stored version that no longer
    validates falls back to the defaults rather than stopping every reminder)."""
    row = active_policy()
    try:
        return as_policy(row.settings if row else None)
    except PolicyError:
        return as_policy(None)


def validate_settings(settings: dict) -> list[str]:
    """Problems that make `settings` unusable, as readable sentences (empty: valid)."""
    return policy_problems(settings)


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
