"""Backtests: train on what was known before a cut-off, score what was issued after it.

``backtest(ledger, cutoff)``

* **train** on invoices whose outcome was known before the cut-off: settled before it, or due
  before it and still unpaid then (late, whatever happens next);
* **test** on invoices issued on or after the cut-off (and before ``test_until``) whose outcome
  is known at the end of the data: settled, or open past their due date (late); invoices
  still open and not yet due at the end are left out;
* every feature is computed as of the invoice's issue date, exactly as in nightly scoring;
* late means settled after the due date, or open past it;
* the baseline scores each test invoice by the debtor's past late share alone (same features,
  as of the issue date), with the training late rate for debtors without history.

``rolling_backtest(ledger, folds=K)`` runs K cut-offs spread over the data, each fold testing
the invoices issued up to the next cut-off, and reports each fold and the means.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

from risk.features import FEATURE_NAMES, compute_features
from risk.model import LatePaymentModel

METRICS = ("auc", "average_precision", "brier", "log_loss", "baseline_auc", "late_rate_test")


def late_labels(ledger: pd.DataFrame, end) -> tuple[np.ndarray, np.ndarray]:
    """(late, known): the outcome of each invoice as seen at ``end``."""
    due, settled = ledger["due_on"], ledger["settled_on"]
    is_settled = settled.notna() & (settled <= end)
    late = (is_settled & (settled > due)) | (~is_settled & (due < end))
    known = is_settled | (due < end)
    return late.to_numpy(), known.to_numpy()


def data_end(ledger: pd.DataFrame) -> pd.Timestamp:
    """The day after the last issue or settlement date: the moment the data describes."""
    seen = [ledger[c].max() for c in ("issued_on", "settled_on") if ledger[c].notna().any()]
    return max(seen).normalize() + pd.Timedelta(days=1)


def backtest(ledger: pd.DataFrame, cutoff, *, test_until=None, end=None, features=None,
             model_params: dict | None = None, bins: int = 10, random_state: int = 0,
             promises=None, messages=None, visits=None) -> dict:
    """Train before ``cutoff``, evaluate on invoices issued in [cutoff, test_until).

    ``end`` is the moment the data describes (default: the day after the last issue or
    settlement date). ``features`` may pass precomputed ``compute_features(ledger)`` output
    (as of issue dates) to save work across folds.
    """
    cutoff = pd.Timestamp(cutoff)
    end = pd.Timestamp(end) if end is not None else data_end(ledger)
    fitted = predict_after(ledger, cutoff, end=end, test_until=test_until, features=features,
                           model_params=model_params, random_state=random_state,
                           promises=promises, messages=messages, visits=visits)
    p, y, model, prior = fitted["p"], fitted["late"], fitted["model"], fitted["prior"]
    baseline = fitted["features"]["late_share"].to_numpy()[fitted["test"]]
    baseline = np.where(np.isnan(baseline), prior, baseline)
    train = fitted["train"]
    return {
        "cutoff": str(cutoff.date()),
        "test_until": str(pd.Timestamp(test_until).date()) if test_until is not None else None,
        "data_end": str(end.date()),
        "n_train": int(train.sum()),
        "n_test": int(fitted["test"].sum()),
        "late_rate_train": prior,
        "late_rate_test": float(y.mean()),
        "auc": _safe(roc_auc_score, y, p),
        "average_precision": _safe(average_precision_score, y, p),
        "brier": float(brier_score_loss(y, p)),
        "log_loss": float(log_loss(y, np.clip(p, 1e-6, 1 - 1e-6), labels=[False, True])),
        "baseline_auc": _safe(roc_auc_score, y, baseline),
        "chosen": model.chosen_,
        "calibration": model.calibration_,
        "cv_scores": model.cv_scores_,
        "calibration_table": calibration_table(y, p, bins),
    }


def predict_after(ledger: pd.DataFrame, cutoff, *, end=None, test_until=None, features=None,
                  model_params: dict | None = None, random_state: int = 0,
                  settled_only: bool = False, promises=None, messages=None,
                  visits=None) -> dict:
    """Fit on what was known before ``cutoff`` and predict the invoices issued from it.

    Returns {"train", "test" (masks over the ledger), "p" (test predictions), "late" (test
    outcomes), "model", "prior" (training late rate), "features"}. ``settled_only`` keeps
    only test invoices settled by ``end`` (the threshold explorer's population).
    """
    cutoff = pd.Timestamp(cutoff)
    end = pd.Timestamp(end) if end is not None else data_end(ledger)
    if features is None:
        features = compute_features(ledger, promises=promises, messages=messages,
                                    visits=visits)
    X = features[FEATURE_NAMES].to_numpy()
    train, y_train, test, late = backtest_split(ledger, cutoff, end=end, test_until=test_until)
    if settled_only:
        settled = ledger["settled_on"]
        test &= (settled.notna() & (settled <= end)).to_numpy()
    if train.sum() == 0 or len(np.unique(y_train[train])) < 2:
        raise ValueError(f"not enough labelled invoices before {cutoff.date()} to train on")
    if test.sum() == 0:
        raise ValueError(f"no invoices with a known outcome issued from {cutoff.date()}")
    params = {"random_state": random_state, **(model_params or {})}
    model = LatePaymentModel(**params).fit(X[train], y_train[train],
                                           sample_time=ledger["issued_on"].to_numpy()[train])
    return {"train": train, "test": test, "p": model.predict_proba(X[test])[:, 1],
            "late": late[test], "model": model, "prior": float(y_train[train].mean()),
            "features": features}


def backtest_split(ledger: pd.DataFrame, cutoff, *, end, test_until=None):
    """Masks and labels: (train, late as known at the cut-off, test, late as known at end)."""
    cutoff = pd.Timestamp(cutoff)
    issued, due, settled = ledger["issued_on"], ledger["due_on"], ledger["settled_on"]
    settled_before = settled.notna() & (settled < cutoff)
    train = ((settled_before | (due < cutoff)) & (issued < cutoff)).to_numpy()
    y_train = ((settled_before & (settled > due)) | (~settled_before & (due < cutoff))).to_numpy()
    late, known = late_labels(ledger, pd.Timestamp(end))
    test = (issued >= cutoff).to_numpy() & known
    if test_until is not None:
        test &= (issued < pd.Timestamp(test_until)).to_numpy()
    return train, y_train & train, test, late


def rolling_backtest(ledger: pd.DataFrame, folds: int = 3, *, start=None, end=None,
                     progress: Callable[[int, int, str], None] | None = None,
                     **kwargs) -> dict:
    """``folds`` backtests with cut-offs spread from ``start`` to the end of the data.

    Default ``start``: the issue date that leaves 40% of the invoices before it. Fold k tests
    the invoices issued from its cut-off to the next one (the last fold to the end).
    ``progress(k, folds, cutoff)`` is called before each fold.
    """
    if folds < 1:
        raise ValueError("folds must be at least 1")
    end = pd.Timestamp(end) if end is not None else data_end(ledger)
    issued = ledger["issued_on"].sort_values()
    start = (pd.Timestamp(start) if start is not None
             else issued.iloc[int(0.4 * (len(issued) - 1))].normalize())
    last_issue = issued.iloc[-1].normalize() + pd.Timedelta(days=1)
    edges = pd.date_range(start, last_issue, periods=folds + 1).normalize()
    features = kwargs.pop("features", None)
    if features is None:
        features = compute_features(ledger, promises=kwargs.pop("promises", None),
                                    messages=kwargs.pop("messages", None),
                                    visits=kwargs.pop("visits", None))
    results = []
    for k in range(folds):
        cutoff = edges[k]
        until = edges[k + 1] if k + 1 < folds else None
        if progress:
            progress(k + 1, folds, str(cutoff.date()))
        results.append(backtest(ledger, cutoff, test_until=until, end=end, features=features,
                                **kwargs))
    mean = {m: float(np.nanmean([r[m] for r in results])) for m in METRICS}
    mean["n_test"] = int(sum(r["n_test"] for r in results))
    return {"folds": results, "mean": mean}


def calibration_table(y, p, bins: int = 10) -> list[dict]:
    """Fixed-width probability bins: count, mean predicted probability, observed late rate."""
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, bins - 1)
    rows = []
    for b in range(bins):
        mask = index == b
        if mask.any():
            rows.append({"low": round(float(edges[b]), 6), "high": round(float(edges[b + 1]), 6),
                         "count": int(mask.sum()), "predicted": float(p[mask].mean()),
                         "observed": float(y[mask].mean())})
    return rows


def _safe(metric, y, p) -> float:
    if len(np.unique(y)) < 2:
        return math.nan
    return float(metric(y, p))
