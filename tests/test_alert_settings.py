"""The alert policy settings: defaults, validation, versioned saves and rollback."""

import pytest

from alerts.settings import (
    DEFAULT_SETTINGS,
    active_settings,
    as_policy,
    merged,
    rollback_to,
    save_settings,
    validate_settings,
)
from portal.extensions import db
from portal.models import AlertPolicy, AuditEvent


def test_defaults_are_valid_and_bands_follow_cutoffs():
    assert validate_settings(merged(None)) == []
    assert [as_policy(None).band_for(p) for p in (0.1, 0.25, 0.49, 0.5, 0.9)] == [
        "low", "medium", "medium", "high", "high"]


@pytest.mark.parametrize("change, words", [
    ({"band_cutoffs": {"medium": 0.6, "high": 0.5}}, "medium < high"),
    ({"channels": {"high": []}}, "at least one channel"),
    ({"lead_days": {"high": [40]}}, "between 0 and 30"),
    ({"caps": {"per_day": 4, "per_week": 3}}, "per day ≤ per week"),
    ({"holdout_share": 0.9}, "holdout"),
    ({"tone": {"high": "angry"}}, "Unknown tone"),
])
def test_invalid_settings_are_explained(change, words):
    problems = validate_settings(merged(change))
    assert any(words in p for p in problems), problems


def test_saving_versions_and_rolling_back(app):
    assert active_settings() == DEFAULT_SETTINGS
    first = save_settings({"band_cutoffs": {"medium": 0.3, "high": 0.6}}, note="tighter")
    second = save_settings({"holdout_share": 0.1})
    db.session.commit()
    assert (first.version, second.version) == (1, 2)
    assert active_settings()["holdout_share"] == 0.1
    assert db.session.query(AlertPolicy).filter_by(is_active=True).count() == 1
    rollback_to(1)
    db.session.commit()
    assert active_settings()["holdout_share"] == 0.05
    assert active_settings()["band_cutoffs"]["high"] == 0.6
    assert db.session.query(AuditEvent).filter_by(action="policy.save").count() == 3
    with pytest.raises(ValueError, match="medium < high"):
        save_settings({"band_cutoffs": {"medium": 0.9, "high": 0.6}})
