"""The model registry: train on the database ledger, compare with the champion, register.

``train_and_register`` (weekly job, ``saldo risk train``):

1. reads the ledger as known at the start of ``today`` (UTC) and computes every invoice's
   features as of its issue date;
2. trains on the invoices whose outcome is known then (settled, or due and unpaid);
3. backtests: when the active model (the champion) has enough invoices issued since its own
   training window closed, both models are scored head to head on those (out of sample for
   both); otherwise the challenger is backtested on the latest quarter of the data and
   compared with the champion's recorded backtest metrics;
4. saves the refitted model under ``<instance>/models/`` (``risk.artifact``) and records a
   ModelVersion with metrics, library versions, feature list, training window and the
   histogram of its training scores (the PSI reference). The new version becomes active only
   if it is not worse than the champion (AUC not lower and Brier not higher by more than
   ``TOLERANCE``), if the champion cannot be loaded, or with ``force``. The PSI reference is
   the open book on the training day scored by the new model (the population nightly runs
   score), or the training invoices when fewer than ``MIN_REFERENCE`` are open.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time
from pathlib import Path

import numpy as np
import pandas as pd
from flask import current_app
from sklearn.metrics import brier_score_loss, roc_auc_score
from sqlalchemy import select, update

from portal.audit import record
from portal.extensions import db
from portal.models import ModelVersion, utcnow
from risk.artifact import ArtifactError, load_model, save_model
from risk.backtest import backtest, backtest_split
from risk.drift import reference_histogram
from risk.features import FEATURE_NAMES, compute_features
from risk.model import LatePaymentModel
from risk.source import load_ledger

MODEL_DIR = "models"
TOLERANCE = 0.005
MIN_TRAIN_ROWS = 50
MIN_EVAL_ROWS = 30
MIN_REFERENCE = 50
HOLDOUT_SHARE = 0.25


def start_of(day: date) -> datetime:
    """Midnight UTC at the start of ``day``: what scoring and training treat as "now"."""
    return datetime.combine(day, time(), UTC)


def active_version() -> ModelVersion | None:
    """The model version in force (the newest active one, should there be several)."""
    return db.session.scalar(select(ModelVersion).where(ModelVersion.is_active.is_(True))
                             .order_by(ModelVersion.id.desc()).limit(1))


def load_version(version: ModelVersion):
    """The fitted model of ``version``; ArtifactError if its file is missing or altered."""
    path = Path(current_app.instance_path) / version.artifact_path
    return load_model(path, version.sha256, version.library_versions)


def train_and_register(force: bool = False, progress=None, *, today: date | None = None,
                       random_state: int = 0, model_params: dict | None = None
                       ) -> ModelVersion | None:
    """Train, backtest and register a model version; None when there is too little data.

    ``model_params`` go to ``LatePaymentModel`` (backtest and final fit alike).
    """
    say = progress or (lambda message: None)
    today = today or utcnow().date()
    cut = pd.Timestamp(today)
    say("reading the ledger")
    data = load_ledger(start_of(today))
    ledger = data.ledger
    say(f"computing features for {len(ledger):,} invoices")
    features = compute_features(ledger, **data.events())
    train, y, _test, _late = backtest_split(ledger, cut, end=cut)
    if train.sum() < MIN_TRAIN_ROWS or len(np.unique(y[train])) < 2:
        say(f"not enough invoices with a known outcome to train on ({int(train.sum())})")
        return None
    champion = active_version()
    say("backtesting")
    params = {"random_state": random_state, **(model_params or {})}
    metrics = _evaluate(ledger, features, cut, champion, params)
    say(f"fitting the model on {int(train.sum()):,} invoices")
    X = features[FEATURE_NAMES][train]
    model = LatePaymentModel(**params).fit(
        X, y[train], sample_time=ledger["issued_on"].to_numpy()[train])
    metrics.update(chosen=model.chosen_, calibration=model.calibration_,
                   cv_scores=model.cv_scores_)
    promote = force or _not_worse(metrics, champion)
    metrics["decision"] = "forced" if force else ("promoted" if promote else "kept champion")
    reference, metrics["psi_reference"] = _reference_scores(model, X, data, cut)
    version = register_version(model, reference, ledger["issued_on"][train].min().date(), today,
                               metrics, promote)
    say(f"model version {version.id} registered ({metrics['decision']})")
    return version


def _evaluate(ledger, features, cut, champion, params) -> dict:
    """Challenger backtest metrics, with the champion's on the same invoices when possible."""
    train, _y, _t, _l = backtest_split(ledger, cut, end=cut)
    issued = ledger["issued_on"][train]
    head_to_head = champion is not None and champion.training_end is not None and (
        (issued >= pd.Timestamp(champion.training_end)).sum() >= MIN_EVAL_ROWS)
    eval_cut = (pd.Timestamp(champion.training_end) if head_to_head
                else issued.quantile(1 - HOLDOUT_SHARE).normalize())
    try:
        result = backtest(ledger, eval_cut, end=cut, features=features, model_params=params)
    except ValueError as exc:
        return {"backtest_error": str(exc), "eval_cutoff": str(eval_cut.date())}
    keys = ("auc", "average_precision", "brier", "log_loss", "baseline_auc", "n_train",
            "n_test", "late_rate_test", "late_rate_train")
    metrics = {k: result[k] if isinstance(result[k], int) else _finite(result[k]) for k in keys}
    metrics.update(eval_cutoff=str(eval_cut.date()), calibration_table=result["calibration_table"])
    metrics["champion"] = _champion_metrics(ledger, features, eval_cut, cut, champion,
                                            head_to_head)
    return metrics


def _champion_metrics(ledger, features, eval_cut, cut, champion, head_to_head):
    if champion is None:
        return None
    if not head_to_head:
        recorded = champion.metrics or {}
        return {"id": champion.id, "auc": recorded.get("auc"), "brier": recorded.get("brier"),
                "source": "recorded"}
    try:
        model = load_version(champion)
    except ArtifactError as exc:
        return {"id": champion.id, "error": str(exc)}
    _tr, _y, test, late = backtest_split(ledger, eval_cut, end=cut)
    p = model.predict_proba(features[FEATURE_NAMES][test])[:, 1]
    y = late[test]
    auc = roc_auc_score(y, p) if len(np.unique(y)) == 2 else None
    return {"id": champion.id, "auc": _finite(auc), "brier": _finite(brier_score_loss(y, p)),
            "source": "same invoices"}


def _not_worse(metrics: dict, champion: ModelVersion | None) -> bool:
    if champion is None:
        return True
    theirs = metrics.get("champion") or {}
    if theirs.get("error"):
        return True  # the champion cannot even be loaded
    ours_auc, ours_brier = metrics.get("auc"), metrics.get("brier")
    if ours_auc is None or ours_brier is None:
        return False
    if theirs.get("auc") is not None and ours_auc < theirs["auc"] - TOLERANCE:
        return False
    return not (theirs.get("brier") is not None and ours_brier > theirs["brier"] + TOLERANCE)


def _reference_scores(model, X, data, cut):
    """The scores nightly runs are compared with (PSI): the open book as of the training day,
    scored as the nightly job would; the training rows when fewer than MIN_REFERENCE are open.
    """
    ledger = data.ledger
    open_ids = ledger["invoice_id"][ledger["is_open"].to_numpy() & (ledger["issued_on"] < cut)]
    if len(open_ids) >= MIN_REFERENCE:
        book = compute_features(ledger, open_ids, as_of=cut, **data.events())
        return model.predict_proba(book[FEATURE_NAMES])[:, 1], "open invoices at training"
    return model.predict_proba(X)[:, 1], "training invoices"


def register_version(model, scores, training_start: date, training_end: date, metrics: dict,
                     promote: bool) -> ModelVersion:
    """Save ``model`` under the instance folder and record it (``scores``: PSI reference)."""
    folder = Path(current_app.instance_path) / MODEL_DIR
    folder.mkdir(parents=True, exist_ok=True)
    name = f"risk-{utcnow():%Y%m%dT%H%M%S%f}.model"
    saved = save_model(model, folder / name)
    if promote:
        db.session.execute(update(ModelVersion).values(is_active=False))
    version = ModelVersion(
        algorithm=f"LatePaymentModel:{model.chosen_}+{model.calibration_}",
        artifact_path=f"{MODEL_DIR}/{name}", sha256=saved["sha256"],
        feature_names=list(FEATURE_NAMES), library_versions=saved["versions"],
        metrics=_json_safe(metrics), training_start=training_start, training_end=training_end,
        training_scores=reference_histogram(scores), is_active=promote,
    )
    db.session.add(version)
    db.session.flush()
    record("system", None, "risk.model.train", version,
           after={"active": promote, "decision": metrics.get("decision"),
                  "auc": metrics.get("auc"), "brier": metrics.get("brier")})
    db.session.commit()
    return version


def _finite(value):
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _json_safe(value):
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return _finite(value)
    return value
