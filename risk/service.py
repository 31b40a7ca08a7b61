"""The risk services the rest of Saldo calls (inside an app context).

* ``train_and_register(force=False, progress=None)`` — weekly: train on the database ledger,
  backtest, register a ModelVersion; it becomes active only if not worse than the active one
  (``force`` overrides). Returns None when there is too little labelled data. See
  ``risk.registry``.
* ``score_open_invoices(today=None, progress=None)`` — nightly: a RiskScore for every open
  invoice with the active model, and a ScoringRun with band counts, histogram and PSI.
  Raises ``NoActiveModel`` without an active model. See ``risk.scoring``.
* ``latest_scores(invoice_ids)`` — ``{invoice_id: RiskScore}``, each invoice's newest score.
* ``active_version()`` — the ModelVersion in force, or None.
* ``ensure_model_and_scores(progress=None)`` — for ``make demo``: train (forced) when no model
  is active, score when no run describes today yet; returns (version or None, run or None).

``progress`` is an optional callable taking one short message per step (the CLI prints them
on a terminal).
"""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import ModelVersion, ScoringRun, utcnow
from risk.registry import active_version, train_and_register
from risk.scoring import NoActiveModel, latest_scores, score_open_invoices

__all__ = ["NoActiveModel", "active_version", "ensure_model_and_scores",
           "latest_scores", "score_open_invoices", "train_and_register"]


def ensure_model_and_scores(progress=None) -> tuple[ModelVersion | None, ScoringRun | None]:
    """An active model and today's scores, creating whichever is missing (idempotent)."""
    version = active_version() or train_and_register(force=True, progress=progress)
    if version is None:
        return None, None
    today = utcnow().date()
    run = db.session.scalar(select(ScoringRun).where(
        ScoringRun.model_version_id == version.id, ScoringRun.as_of == today,
        ScoringRun.finished_at.is_not(None)).order_by(ScoringRun.id.desc()).limit(1))
    return version, run or score_open_invoices(today=today, progress=progress)
