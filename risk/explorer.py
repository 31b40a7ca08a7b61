"""The threshold explorer: what each risk cut-off would have done on the creditor's history.

``explore(ledger, cutoff)`` backtests the model (``risk.backtest.predict_after``: trained on
what was known before the cut-off, every feature as of the invoice's issue date, so nothing
leaks) on the invoices issued from the cut-off and settled by the end of the data, then for
every threshold 0.00, 0.01, …, 1.00 says what contacting the invoices scored at or above it
would have meant:

* ``contact_share``: the share of invoices that would get a pre-due reminder;
* ``precision``: the share of those that were paid late (None when nobody is contacted);
* ``reach``: the share of all late invoices they include;
* ``per_month``: invoices reminded per 30 days of the test period;
* ``skipped_on_time``: invoices below the threshold (not reminded) that were paid on time.

Plain pandas/numpy; ``explore_database`` reads the ledger from the database.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from risk.backtest import data_end, predict_after

STEPS = 100


def curve(p, late, months: float) -> list[dict]:
    """The explorer's points for predictions `p` and outcomes `late` (hand-checkable)."""
    p, late = np.asarray(p, dtype=float), np.asarray(late, dtype=bool)
    n, n_late = len(p), int(late.sum())
    points = []
    for step in range(STEPS + 1):
        threshold = step / STEPS
        contacted = p >= threshold
        k, hits = int(contacted.sum()), int((contacted & late).sum())
        points.append({
            "threshold": threshold,
            "contact_share": k / n if n else 0.0,
            "precision": hits / k if k else None,
            "reach": hits / n_late if n_late else 0.0,
            "per_month": k / months if months else float(k),
            "skipped_on_time": int((~contacted & ~late).sum()),
        })
    return points


def cutoff_for_share(points: list[dict], max_share: float) -> dict | None:
    """The lowest threshold contacting at most `max_share` of invoices (None: none does)."""
    fitting = [pt for pt in points if pt["contact_share"] <= max_share + 1e-12]
    return min(fitting, key=lambda pt: pt["threshold"]) if fitting else None


def default_cutoff(ledger: pd.DataFrame) -> pd.Timestamp:
    """The issue date leaving 60 % of the invoices before it (enough to train on)."""
    issued = ledger["issued_on"].sort_values()
    return issued.iloc[int(0.6 * (len(issued) - 1))].normalize()


def explore(ledger: pd.DataFrame, cutoff=None, *, model_params: dict | None = None,
            progress=None, **events) -> dict:
    """{"cutoff", "n", "late_rate", "points": [...]} sorted by threshold."""
    cutoff = pd.Timestamp(cutoff) if cutoff is not None else default_cutoff(ledger)
    end = data_end(ledger)
    if progress:
        progress(f"training on invoices known before {cutoff.date()} and scoring the rest")
    fitted = predict_after(ledger, cutoff, end=end, model_params=model_params,
                           settled_only=True, **events)
    issued = ledger["issued_on"][fitted["test"]]
    days = max(1, (issued.max() - issued.min()).days + 1)
    late = fitted["late"]
    if progress:
        progress(f"{len(late):,} settled invoices scored; computing {STEPS + 1} cut-offs")
    return {"cutoff": str(cutoff.date()), "n": int(len(late)),
            "late_rate": float(late.mean()) if len(late) else math.nan,
            "points": curve(fitted["p"], late, days / 30)}


def active_model_params() -> dict | None:
    """The estimator parameters of the active model version (None: no active model)."""
    from sqlalchemy.exc import SQLAlchemyError

    from risk.artifact import ArtifactError
    from risk.registry import active_version, load_version

    try:
        version = active_version()
    except SQLAlchemyError:  # no database set up (a --ledger run): the default estimator
        return None
    if version is None:
        return None
    try:
        return load_version(version).get_params()
    except (ArtifactError, OSError):  # unreadable: explore with the default estimator
        return None


def explore_database(cutoff=None, progress=None) -> dict:
    """`explore` on the database ledger with the active model's parameters."""
    from datetime import UTC, datetime

    from risk.source import load_ledger

    data = load_ledger(datetime.now(UTC))
    return explore(data.ledger, cutoff, model_params=active_model_params(), progress=progress,
                   **data.events())
