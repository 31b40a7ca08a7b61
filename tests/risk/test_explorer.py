"""The threshold explorer: hand-computed points, and the curve on the shared dataset."""

from __future__ import annotations

import pytest

from risk.explorer import curve, cutoff_for_share, explore


def test_points_match_hand_computed_values():
    points = {round(p["threshold"], 2): p for p in curve([0.9, 0.6, 0.3, 0.1],
                                                          [True, False, True, False], 2.0)}
    assert len(points) == 101
    assert points[0.0] == {"threshold": 0.0, "contact_share": 1.0, "precision": 0.5,
                           "reach": 1.0, "per_month": 2.0, "skipped_on_time": 0}
    assert points[0.5] == {"threshold": 0.5, "contact_share": 0.5, "precision": 0.5,
                           "reach": 0.5, "per_month": 1.0, "skipped_on_time": 1}
    assert points[0.3]["contact_share"] == 0.75 and points[0.3]["reach"] == 1.0
    assert points[0.3]["precision"] == pytest.approx(2 / 3)
    assert points[1.0]["precision"] is None and points[1.0]["skipped_on_time"] == 2
    assert cutoff_for_share(list(points.values()), 0.5)["threshold"] == 0.31
    assert cutoff_for_share(list(points.values()), 0.0)["threshold"] == 0.91


def test_curve_on_the_shared_dataset_is_time_ordered_and_monotone(ar_ledger):
    result = explore(ar_ledger, "2013-04-01")
    points = result["points"]
    assert result["cutoff"] == "2013-04-01" and result["n"] > 300
    assert [p["threshold"] for p in points] == sorted(p["threshold"] for p in points)
    assert points[0]["contact_share"] == 1.0 and points[0]["reach"] == 1.0
    assert points[0]["precision"] == pytest.approx(result["late_rate"])
    shares = [p["contact_share"] for p in points]
    reaches = [p["reach"] for p in points]
    assert shares == sorted(shares, reverse=True) and reaches == sorted(reaches, reverse=True)
    at_half = points[50]
    assert at_half["precision"] > 2 * result["late_rate"]  # the model ranks late payers first
    assert at_half["reach"] > 0.7
