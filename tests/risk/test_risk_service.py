"""Training, registry, nightly scoring and the latest-score lookup on a real database."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from alerts.settings import active_settings, as_policy, save_settings
from portal.models import AuditEvent, Invoice, ModelVersion, RiskScore, ScoringRun
from risk.artifact import library_versions
from risk.explain import MESSAGES
from risk.features import FEATURE_NAMES
from risk.service import (
    NoActiveModel,
    ensure_model_and_scores,
    latest_scores,
    score_open_invoices,
    train_and_register,
)
from tests.risk.dbledger import seed_ledger

TODAY = date(2026, 6, 1)


def _train(**kwargs):
    """Logistic only, to keep the suite quick (the first test trains the full comparison)."""
    kwargs.setdefault("model_params", {"candidates": ("logistic",)})
    return train_and_register(today=kwargs.pop("today", TODAY), **kwargs)


def test_train_registers_an_active_version(app, db):
    seed_ledger(TODAY)
    messages = []
    version = _train(progress=messages.append, model_params=None)
    assert version.is_active and version.id
    path = Path(app.instance_path) / version.artifact_path
    assert path.parent.name == "models"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == version.sha256
    assert version.library_versions == library_versions()
    assert version.feature_names == FEATURE_NAMES
    first_issue = db.session.scalar(select(func.min(Invoice.issued_on)))
    assert (version.training_start, version.training_end) == (first_issue, TODAY)
    m = version.metrics
    assert m["decision"] == "promoted" and m["champion"] is None
    assert set(m["cv_scores"]) == {"logistic", "boosting"}
    assert 0.5 < m["auc"] <= 1 and 0 <= m["brier"] < 0.25 and m["n_test"] > 0
    assert m["eval_cutoff"] < str(TODAY)
    assert sum(b["share"] for b in version.training_scores) == pytest.approx(1.0)
    assert any("fitting" in msg for msg in messages)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "risk.model.train"))
    assert event.target_id == str(version.id) and event.after["active"] is True


def test_too_little_data_registers_nothing(app, db):
    seed_ledger(TODAY, n_debtors=2, months=2)
    assert _train() is None
    assert db.session.scalar(select(func.count(ModelVersion.id))) == 0


def test_a_worse_challenger_stays_inactive_unless_forced(app, db):
    seed_ledger(TODAY)
    champion = _train()
    champion.metrics = {**champion.metrics, "auc": 0.999, "brier": 0.001}
    champion.training_end = None  # compare with the recorded metrics
    db.session.commit()
    challenger = _train()
    assert not challenger.is_active and challenger.metrics["decision"] == "kept champion"
    assert challenger.metrics["champion"]["source"] == "recorded"
    forced = _train(force=True)
    db.session.refresh(champion)
    assert forced.is_active and not champion.is_active
    assert forced.metrics["decision"] == "forced"


def test_champion_is_compared_on_invoices_it_never_saw(app, db):
    seed_ledger(TODAY)
    earlier = _train(today=TODAY - timedelta(days=90))
    assert earlier.training_end == TODAY - timedelta(days=90)
    newer = _train()
    theirs = newer.metrics["champion"]
    assert theirs["id"] == earlier.id and theirs["source"] == "same invoices"
    assert newer.metrics["eval_cutoff"] == str(earlier.training_end)
    assert theirs["auc"] is not None and theirs["brier"] is not None


def test_an_unloadable_champion_is_replaced(app, db):
    seed_ledger(TODAY)
    champion = _train()
    path = Path(app.instance_path) / champion.artifact_path
    path.write_bytes(path.read_bytes() + b"tampered")
    champion.training_end = TODAY - timedelta(days=120)
    db.session.commit()
    newer = _train()
    assert "checksum" in newer.metrics["champion"]["error"]
    assert newer.is_active


def test_scoring_needs_an_active_model(app, db):
    seed_ledger(TODAY)
    with pytest.raises(NoActiveModel):
        score_open_invoices(today=TODAY)


def test_score_every_open_invoice(app, db):
    ids = seed_ledger(TODAY)
    cancelled = db.session.get(Invoice, ids["open"][0])
    cancelled.status = "cancelled"
    save_settings({"band_cutoffs": {"medium": 0.2, "high": 0.6}})
    db.session.commit()
    version = _train()
    run = score_open_invoices(today=TODAY)
    scores = db.session.scalars(select(RiskScore)).all()
    assert run.n_scored == len(scores) == len(ids["open"]) - 1
    assert {s.invoice_id for s in scores} == set(ids["open"][1:])
    settings = active_settings()
    for score in scores:
        assert 0 <= score.probability <= 1
        assert score.band == as_policy(settings).band_for(score.probability)
        assert score.model_version_id == version.id and score.scoring_run_id == run.id
        assert len(score.reasons) <= 3
        assert all(r["code"] in MESSAGES for r in score.reasons)
    assert sum(run.band_counts.values()) == run.n_scored
    assert run.band_counts == {b: sum(s.band == b for s in scores) for b in run.band_counts}
    assert sum(b["count"] for b in run.histogram) == run.n_scored
    assert run.psi is not None and run.psi >= 0 and run.finished_at >= run.started_at
    assert run.as_of == TODAY
    # Chronically late debtors (odd external ids) hold the overdue invoices: they rank higher.
    late = [s.probability for s in scores if int(s.invoice_id) in _late_invoices(db)]
    punctual = [s.probability for s in scores if int(s.invoice_id) not in _late_invoices(db)]
    assert sum(late) / len(late) > sum(punctual) / len(punctual)
    assert any(s.reasons for s in scores)


def _late_invoices(db):
    from portal.models import Debtor

    rows = db.session.execute(select(Invoice.id, Debtor.external_id).join(Debtor)).all()
    return {i for i, ext in rows if int(ext[1:]) % 2 == 1}


def test_latest_scores_picks_the_newest_per_invoice(app, db):
    ids = seed_ledger(TODAY)
    _train()
    first = score_open_invoices(today=TODAY)
    second = score_open_invoices(today=TODAY + timedelta(days=1))
    found = latest_scores(ids["open"] + ids["paid"][:3] + [10**9])
    assert set(found) == set(ids["open"])
    assert {s.scoring_run_id for s in found.values()} == {second.id}
    assert second.id != first.id
    assert db.session.scalar(select(func.count(ScoringRun.id))) == 2
    assert latest_scores([]) == {}


def test_cli_train_and_score(app, db, runner):
    seed_ledger(date.today())
    result = runner.invoke(args=["risk", "score"])
    assert result.exit_code != 0 and "saldo risk train" in result.output
    result = runner.invoke(args=["risk", "train"])
    assert result.exit_code == 0, result.output
    assert "active: yes" in result.output
    result = runner.invoke(args=["risk", "score", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    open_count = db.session.scalar(select(func.count(Invoice.id))
                                   .where(Invoice.status == "open"))
    assert sum(summary["bands"].values()) == summary["n_scored"] == open_count
    assert set(summary["bands"]) == {"low", "medium", "high"}


def test_ensure_model_and_scores_is_idempotent(app, db):
    ids = seed_ledger(date.today())
    version, run = ensure_model_and_scores()
    assert version.is_active and run.n_scored == len(ids["open"])
    again_version, again_run = ensure_model_and_scores()
    assert (again_version.id, again_run.id) == (version.id, run.id)
    assert db.session.scalar(select(func.count(ModelVersion.id))) == 1


def test_ensure_model_and_scores_without_data(app, db):
    assert ensure_model_and_scores() == (None, None)


def test_scoring_an_empty_book(app, db):
    ids = seed_ledger(TODAY)
    _train()
    for invoice in db.session.scalars(select(Invoice).where(Invoice.id.in_(ids["open"]))):
        invoice.status = "cancelled"
    db.session.commit()
    run = score_open_invoices(today=TODAY)
    assert run.n_scored == 0 and run.band_counts == {"low": 0, "medium": 0, "high": 0}
    assert run.psi is None and run.finished_at is not None
    assert db.session.scalar(select(func.count(RiskScore.id))) == 0


def test_a_model_needing_unknown_features_is_refused(app, db):
    from risk.artifact import ArtifactError

    seed_ledger(TODAY)
    version = _train()
    version.feature_names = [*version.feature_names, "shoe_size"]
    db.session.commit()
    with pytest.raises(ArtifactError, match="shoe_size"):
        score_open_invoices(today=TODAY)
