"""Model health: discrimination (AUC) and calibration of predictions whose outcome is now
known, and score drift (PSI of each scoring run against training, warning above 0.2)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.models import ScoringRun
from portal.staff.kpis import known_outcomes

PSI_WARNING = 0.2
CALIBRATION_BINS = 5


def auc(scores: list[float], labels: list[bool]) -> float | None:
    """Area under the ROC curve: the chance a late invoice scores above an on-time one
    (ties count half). None without both classes."""
    positives = [s for s, y in zip(scores, labels, strict=True) if y]
    negatives = [s for s, y in zip(scores, labels, strict=True) if not y]
    if not positives or not negatives:
        return None
    ranked = sorted((s, y) for s, y in zip(scores, labels, strict=True))
    rank_sum, i = 0.0, 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        average_rank = (i + 1 + j) / 2
        rank_sum += average_rank * sum(1 for k in range(i, j) if ranked[k][1])
        i = j
    n_pos, n_neg = len(positives), len(negatives)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def calibration(scores: list[float], labels: list[bool], bins: int = CALIBRATION_BINS
                ) -> list[dict]:
    """Equal-width probability bins: mean predicted vs observed late rate, and the count."""
    rows = []
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        members = [(s, y) for s, y in zip(scores, labels, strict=True)
                   if low <= s < high or (b == bins - 1 and s == 1.0)]
        if members:
            rows.append({"low": low, "high": high, "n": len(members),
                         "predicted": sum(s for s, _ in members) / len(members),
                         "observed": sum(1 for _, y in members if y) / len(members)})
    return rows


def brier(scores: list[float], labels: list[bool]) -> float | None:
    if not scores:
        return None
    return sum((s - float(y)) ** 2 for s, y in zip(scores, labels, strict=True)) / len(scores)


def model_health(as_of: date, days: int = 180) -> dict:
    """AUC, calibration and Brier score of scored invoices due in the last `days` days."""
    outcomes = [o for o in known_outcomes(as_of, as_of - timedelta(days=days))
                if o.score is not None]
    scores = [o.score.probability for o in outcomes]
    labels = [o.late for o in outcomes]
    return {"n": len(outcomes), "late": sum(labels), "auc": auc(scores, labels),
            "brier": brier(scores, labels), "calibration": calibration(scores, labels)}


def psi_history(limit: int = 12) -> dict:
    """The last scoring runs' PSI, oldest first, and whether the latest is above 0.2."""
    runs = db.session.scalars(select(ScoringRun).where(ScoringRun.psi.is_not(None))
                              .order_by(ScoringRun.started_at.desc()).limit(limit)).all()
    runs = list(reversed(runs))
    latest = runs[-1].psi if runs else None
    return {"runs": [(r.started_at, r.psi) for r in runs], "latest": latest,
            "warning": latest is not None and latest > PSI_WARNING}
