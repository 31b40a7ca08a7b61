"""Nightly scoring: every open invoice gets a RiskScore from the active model.

``score_open_invoices(today)`` reads the ledger as known at the start of ``today`` (UTC),
computes the open invoices' features as of that moment, predicts calibrated late
probabilities, puts each in a band with the alert policy's cut-offs
(the one ``Policy.band_for`` of the policy in force), explains it (top three reason codes with
parameters, ``risk.explain``) and stores one RiskScore per invoice plus a ScoringRun with the
band counts, the score histogram and the PSI against the model's training scores. On
PostgreSQL the scores are written with ``COPY``; elsewhere with one executemany insert.

``latest_scores(invoice_ids)`` returns each invoice's newest RiskScore in one query per
5,000 ids (``ix_risk_score_invoice_scored`` serves it).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import func, insert, select

from alerts.settings import BANDS, current_policy
from portal.audit import record
from portal.extensions import db
from portal.models import RiskScore, ScoringRun, utcnow
from risk.artifact import ArtifactError
from risk.drift import edges_of, histogram, psi
from risk.explain import reasons
from risk.features import FEATURE_NAMES, compute_features
from risk.registry import active_version, load_version, start_of
from risk.source import load_ledger

WRITE_CHUNK = 50_000
LOOKUP_CHUNK = 5_000


class NoActiveModel(LookupError):
    """Scoring needs an active model version: run ``saldo risk train`` first."""


def score_open_invoices(today: date | None = None, progress=None) -> ScoringRun:
    """Score every open invoice with the active model; return the committed ScoringRun."""
    say = progress or (lambda message: None)
    version = active_version()
    if version is None:
        raise NoActiveModel("no active risk model: run `saldo risk train` first")
    model = load_version(version)
    today = today or utcnow().date()
    started = utcnow()
    say("reading the ledger")
    data = load_ledger(start_of(today))
    ledger = data.ledger
    targets = ledger["invoice_id"][ledger["is_open"].to_numpy()]
    say(f"computing features for {len(targets):,} open invoices")
    features = compute_features(ledger, targets, as_of=pd.Timestamp(today), **data.events())
    say("predicting")
    missing = set(version.feature_names) - set(FEATURE_NAMES)
    if missing:
        raise ArtifactError(f"model version {version.id} needs features this code no longer "
                            f"computes ({', '.join(sorted(missing))}): retrain it")
    X = features[list(version.feature_names)]
    p = model.predict_proba(X)[:, 1] if len(features) else np.zeros(0)
    policy = current_policy()
    bands = np.array([policy.band_for(float(x)) for x in p], dtype=object)
    why = reasons(features, model, scores=p) if len(features) else []
    run = ScoringRun(model_version_id=version.id, as_of=today, started_at=started,
                     n_scored=len(p))
    db.session.add(run)
    db.session.flush()
    ids = features.index.to_numpy().astype(np.int64)
    _write_scores(run, ids, p, bands, why, started, say)
    run.band_counts = {band: int((bands == band).sum()) for band in BANDS}
    reference = version.training_scores or []
    run.histogram = histogram(p, edges_of(reference)) if reference else None
    run.psi = psi(reference, run.histogram) if run.histogram else None
    run.finished_at = utcnow()
    record("system", None, "risk.score", run,
           after={"n_scored": run.n_scored, "bands": run.band_counts, "psi": run.psi,
                  "model_version_id": version.id})
    db.session.commit()
    say(f"scored {run.n_scored:,} open invoices")
    return run


def latest_scores(invoice_ids: Iterable[int]) -> dict[int, RiskScore]:
    """The newest RiskScore of each invoice that has one, keyed by invoice id."""
    ids = sorted({int(i) for i in invoice_ids})
    found: dict[int, RiskScore] = {}
    for start in range(0, len(ids), LOOKUP_CHUNK):
        chunk = ids[start:start + LOOKUP_CHUNK]
        rank = func.row_number().over(
            partition_by=RiskScore.invoice_id,
            order_by=(RiskScore.scored_at.desc(), RiskScore.id.desc()))
        ranked = (select(RiskScore.id, rank.label("rank"))
                  .where(RiskScore.invoice_id.in_(chunk)).subquery())
        rows = db.session.scalars(select(RiskScore).join(ranked, RiskScore.id == ranked.c.id)
                                  .where(ranked.c.rank == 1))
        found.update({score.invoice_id: score for score in rows})
    return found


def _write_scores(run, ids, p, bands, why, scored_at, say) -> None:
    connection = db.session.connection()
    for start in range(0, len(ids), WRITE_CHUNK):
        stop = min(start + WRITE_CHUNK, len(ids))
        rows = {"invoice_id": ids[start:stop], "probability": p[start:stop],
                "band": bands[start:stop], "reasons": why[start:stop]}
        if connection.dialect.name == "postgresql":
            _copy_scores(connection, run, rows, scored_at)
        else:
            db.session.execute(insert(RiskScore), [
                {"invoice_id": int(i), "model_version_id": run.model_version_id,
                 "scoring_run_id": run.id, "probability": float(q), "band": b,
                 "reasons": r, "scored_at": scored_at}
                for i, q, b, r in zip(*rows.values(), strict=True)])
        say(f"stored {stop:,}/{len(ids):,} scores")


def _copy_scores(connection, run, rows, scored_at) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    stamp = scored_at.isoformat()
    for i, q, b, r in zip(*rows.values(), strict=True):
        writer.writerow((int(i), run.model_version_id, run.id, repr(float(q)), b,
                         json.dumps(r, separators=(",", ":")), stamp))
    raw = connection.connection.driver_connection
    columns = "invoice_id, model_version_id, scoring_run_id, probability, band, reasons, scored_at"
    with raw.cursor() as cursor, cursor.copy(
            f"COPY risk_score ({columns}) FROM STDIN WITH (FORMAT csv)") as copy:
        copy.write(buffer.getvalue())
