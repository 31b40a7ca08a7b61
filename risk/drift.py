"""Score distributions and the population stability index (PSI) between two of them.

A model version keeps the distribution of its training scores as ``reference_histogram``:
ten bins cut at the deciles of those scores (so each holds about a tenth of the training
rows), stored as JSON-safe dicts ``{"low", "high", "count", "share"}``. Every scoring run
bins its scores on the same edges (``histogram``) and reports

    PSI = Σ (actual_share − expected_share) · ln(actual_share / expected_share)

with shares floored at 0.0001 so an empty bin does not make it infinite. The usual reading:
below 0.1 stable, 0.1–0.25 worth a look, above 0.25 the population has shifted.
"""

from __future__ import annotations

import math

import numpy as np

BINS = 10
FLOOR = 1e-4


def reference_histogram(scores, bins: int = BINS) -> list[dict]:
    """Decile-cut histogram of the training ``scores`` (edges 0 and 1 at the ends)."""
    scores = np.asarray(scores, dtype=float)
    if not len(scores):
        inner = np.linspace(0.0, 1.0, bins + 1)[1:-1]
    else:
        inner = np.unique(np.quantile(scores, np.linspace(0.0, 1.0, bins + 1)[1:-1]))
        inner = inner[(inner > 0.0) & (inner < 1.0)]
    edges = np.concatenate(([0.0], inner, [1.0]))
    return histogram(scores, edges)


def edges_of(reference: list[dict]) -> np.ndarray:
    """The bin edges of a stored histogram."""
    return np.array([row["low"] for row in reference] + [reference[-1]["high"]], dtype=float)


def histogram(scores, edges) -> list[dict]:
    """Counts and shares of ``scores`` in the bins ``[edges[i], edges[i+1])`` (last closed)."""
    scores = np.asarray(scores, dtype=float)
    edges = np.asarray(edges, dtype=float)
    index = np.clip(np.searchsorted(edges, scores, side="right") - 1, 0, len(edges) - 2)
    counts = np.bincount(index, minlength=len(edges) - 1)
    total = max(int(counts.sum()), 1)
    return [{"low": float(edges[i]), "high": float(edges[i + 1]), "count": int(counts[i]),
             "share": float(counts[i] / total)} for i in range(len(edges) - 1)]


def psi(expected: list[dict], actual: list[dict]) -> float | None:
    """Population stability index of ``actual`` against ``expected`` (same bins)."""
    if not expected or not actual or len(expected) != len(actual):
        return None
    if sum(r["count"] for r in actual) == 0 or sum(r["count"] for r in expected) == 0:
        return None
    total = 0.0
    for e, a in zip(expected, actual, strict=True):
        pe, pa = max(e["share"], FLOOR), max(a["share"], FLOOR)
        total += (pa - pe) * math.log(pa / pe)
    return float(total)
