"""Backtests: what is trained on, what is tested, and the targets on the shared dataset."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from risk.backtest import (
    backtest,
    backtest_split,
    calibration_table,
    data_end,
    late_labels,
    rolling_backtest,
)
from risk.features import compute_features

KEYS = {"auc", "average_precision", "brier", "n_train", "n_test", "late_rate_test",
        "baseline_auc", "calibration_table", "cutoff", "chosen"}


def test_split_and_labels(make_ledger):
    ledger = make_ledger(
        ("A", "early", "2024-01-01", "2024-01-31", "2024-01-20", 100),  # train, on time
        ("A", "late", "2024-01-01", "2024-01-31", "2024-02-10", 100),  # train, late
        ("A", "overdue", "2024-01-10", "2024-02-10", "2024-03-20", 100),  # train: late at cut
        ("A", "pending", "2024-02-20", "2024-03-20", "2024-03-05", 100),  # not known at cut
        ("A", "new", "2024-03-02", "2024-04-01", "2024-04-01", 100),  # test, on time
        ("A", "new_late", "2024-03-05", "2024-04-04", None, 100),  # test: open past due
        ("A", "new_open", "2024-04-05", "2024-05-05", None, 100),  # unknown at end
    )
    end = data_end(ledger)
    assert end == pd.Timestamp("2024-04-06")
    train, y_train, test, late = backtest_split(ledger, "2024-03-01", end=end)
    ids = ledger["invoice_id"].to_numpy()
    assert list(ids[train]) == ["early", "late", "overdue"]
    assert list(y_train[train]) == [False, True, True]
    assert list(ids[test]) == ["new", "new_late"]
    assert list(late[test]) == [False, True]
    late_at_end, known = late_labels(ledger, end)
    assert not known[-1] and known[-2] and late_at_end[-2]
    _, _, until, _ = backtest_split(ledger, "2024-03-01", end=end, test_until="2024-03-04")
    assert list(ids[until]) == ["new"]


def test_calibration_table():
    y = np.array([0, 0, 1, 1, 1, 0])
    p = np.array([0.05, 0.05, 0.95, 0.85, 0.15, 0.15])
    table = calibration_table(y, p, bins=10)
    assert [(r["low"], r["high"], r["count"]) for r in table] == [
        (0.0, 0.1, 2), (0.1, 0.2, 2), (0.8, 0.9, 1), (0.9, 1.0, 1)]
    assert table[1]["predicted"] == pytest.approx(0.15)
    assert table[1]["observed"] == pytest.approx(0.5)
    assert calibration_table([1], [1.0], bins=4)[-1]["high"] == 1.0


@pytest.fixture(scope="module")
def ar_features(ar_ledger):
    return compute_features(ar_ledger)


@pytest.mark.parametrize("cutoff", ["2012-10-01", "2013-01-01", "2013-04-01"])
def test_targets_on_the_shared_dataset(ar_ledger, ar_features, cutoff):
    result = backtest(ar_ledger, cutoff, features=ar_features)
    assert KEYS <= set(result)
    assert result["auc"] >= 0.92
    assert result["brier"] <= 0.12
    assert result["auc"] - result["baseline_auc"] >= 0.04
    assert sum(r["count"] for r in result["calibration_table"]) == result["n_test"]
    for row in result["calibration_table"]:
        assert row["low"] <= row["predicted"] <= row["high"]


def test_backtest_computes_features_itself(ar_ledger, ar_features):
    given = backtest(ar_ledger, "2013-04-01", features=ar_features)
    computed = backtest(ar_ledger, "2013-04-01")
    assert given["auc"] == computed["auc"] and given["brier"] == computed["brier"]


def test_rolling_backtest(ar_ledger, ar_features):
    result = rolling_backtest(ar_ledger, folds=3, features=ar_features)
    folds = result["folds"]
    assert len(folds) == 3
    cutoffs = [f["cutoff"] for f in folds]
    assert cutoffs == sorted(cutoffs)
    assert [f["test_until"] for f in folds[:-1]] == cutoffs[1:] and folds[-1]["test_until"] is None
    tested = (ar_ledger["issued_on"] >= pd.Timestamp(cutoffs[0])).sum()
    assert sum(f["n_test"] for f in folds) == tested == result["mean"]["n_test"]
    assert result["mean"]["auc"] == pytest.approx(np.mean([f["auc"] for f in folds]))
    assert all(f["auc"] > f["baseline_auc"] for f in folds)


def test_rolling_backtest_from_a_start(ar_ledger, ar_features):
    seen = []
    result = rolling_backtest(ar_ledger, folds=2, start="2013-01-01", features=ar_features,
                              progress=lambda k, n, at: seen.append((k, n, at)))
    assert [f["cutoff"] for f in result["folds"]][0] == "2013-01-01"
    assert seen == [(1, 2, "2013-01-01"), (2, 2, result["folds"][1]["cutoff"])]


def test_cutoff_without_history_is_a_clear_error(ar_ledger, ar_features):
    with pytest.raises(ValueError, match="not enough labelled invoices"):
        backtest(ar_ledger, "2012-01-01", features=ar_features)
    with pytest.raises(ValueError, match="no invoices with a known outcome"):
        backtest(ar_ledger, "2014-01-01", features=ar_features)
