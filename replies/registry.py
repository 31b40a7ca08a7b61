"""The reply model registry: train, compare with the champion on the held-out split, register.

``train_reply_model`` (``saldo replies train``) fits a challenger on the corpus' training split
plus every label staff have given replies (``ReplyLabel``), measures it and the champion on
the same held-out split (never trained on), saves it under ``<instance>/models/`` through
``risk.artifact`` (SHA-256 and library versions recorded) and records a ReplyModelVersion. The
challenger becomes active only if its held-out macro-F1 is higher than the champion's (or ties
it with a better promise-date accuracy), when the champion cannot be loaded, or with ``force``.

``active_model()`` is what the understanding uses: the champion, loaded once per process and
version; with no usable champion, the model fitted on the shipped corpus (deterministic).
"""

from __future__ import annotations

import threading
from pathlib import Path

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError

from portal.audit import record
from portal.extensions import db
from portal.models import ReplyLabel, ReplyModelVersion, utcnow
from replies.evaluate import evaluate, fit_model
from risk.artifact import ArtifactError, load_model, save_model

MAGIC = b"SALDO-REPLY-MODEL 1 "
MODEL_DIR = "models"
_LOCK = threading.Lock()
_LOADED: dict = {}


def champion() -> ReplyModelVersion | None:
    return db.session.scalar(select(ReplyModelVersion)
                             .where(ReplyModelVersion.is_active.is_(True))
                             .order_by(ReplyModelVersion.id.desc()).limit(1))


def load_version(version: ReplyModelVersion):
    path = Path(current_app.instance_path) / version.artifact_path
    return load_model(path, version.sha256, version.library_versions, magic=MAGIC)


def baseline_model():
    """The classifier fitted on the shipped corpus alone (once per process)."""
    with _LOCK:
        if "baseline" not in _LOADED:
            _LOADED["baseline"] = fit_model()
        return _LOADED["baseline"]


def active_model():
    """The champion's classifier, or the baseline when there is none that loads."""
    return active_model_version()[0]


def active_model_version():
    """(classifier, the champion's ReplyModelVersion id); the id is None for the baseline."""
    try:
        version = champion()
    except SQLAlchemyError:  # no tables yet (a fresh instance): the baseline serves
        db.session.rollback()
        version = None
    if version is None:
        return baseline_model(), None
    key = (version.id, version.sha256)
    with _LOCK:
        if _LOADED.get("key") != key:
            try:
                _LOADED["model"] = load_version(version)
            except ArtifactError as exc:
                current_app.logger.warning("reply model %s unusable: %s", version.id, exc)
                _LOADED.pop("model", None)
            _LOADED["key"] = key
        model = _LOADED.get("model")
    return (model, version.id) if model is not None else (baseline_model(), None)


def correction_rows() -> list[dict]:
    """Staff labels as training rows."""
    return [{"text": label.text, "intent": label.intent, "language": label.language,
             "today": label.received_on.isoformat()}
            for label in db.session.scalars(select(ReplyLabel).order_by(ReplyLabel.id))]


def train_reply_model(force: bool = False, random_state: int = 0,
                      progress=None) -> ReplyModelVersion:
    """Fit, measure against the champion on the held-out split, register (see module doc)."""
    say = progress or (lambda message: None)
    corrections = correction_rows()
    say(f"fitting on the corpus and {len(corrections)} staff labels")
    model = fit_model(corrections, random_state=random_state)
    metrics = {"heldout": evaluate(model)}
    current = champion()
    if current is not None:
        try:
            metrics["champion"] = {"id": current.id, "heldout": evaluate(load_version(current))}
        except ArtifactError as exc:
            metrics["champion"] = {"id": current.id, "error": str(exc)}
    promote = force or _better(metrics)
    metrics["decision"] = "forced" if force else ("promoted" if promote else "kept champion")
    version = _register(model, metrics, promote, len(corrections))
    say(f"reply model version {version.id} registered ({metrics['decision']})")
    return version


def _better(metrics: dict) -> bool:
    theirs = metrics.get("champion")
    if theirs is None or theirs.get("error"):
        return True
    ours, old = metrics["heldout"]["all"], theirs["heldout"]["all"]
    if ours["macro_f1"] != old["macro_f1"]:
        return ours["macro_f1"] > old["macro_f1"]
    return (ours["promise_date_accuracy"] or 0) > (old["promise_date_accuracy"] or 0)


def _register(model, metrics: dict, promote: bool, n_corrections: int) -> ReplyModelVersion:
    folder = Path(current_app.instance_path) / MODEL_DIR
    folder.mkdir(parents=True, exist_ok=True)
    name = f"replies-{utcnow():%Y%m%dT%H%M%S%f}.model"
    saved = save_model(model, folder / name, magic=MAGIC)
    if promote:
        db.session.execute(update(ReplyModelVersion).values(is_active=False))
    version = ReplyModelVersion(
        algorithm=f"ReplyClassifier:tfidf-word+char+calibrated-svm(C={model.C})",
        artifact_path=f"{MODEL_DIR}/{name}", sha256=saved["sha256"],
        library_versions=saved["versions"], metrics=metrics,
        n_train=model.n_train_, n_corrections=n_corrections,
        is_active=promote)
    db.session.add(version)
    db.session.flush()
    record("system", None, "replies.model.train", version,
           after={"active": promote, "decision": metrics["decision"],
                  "macro_f1": metrics["heldout"]["all"]["macro_f1"]})
    db.session.commit()
    return version
