"""Risk scores and the model versions that produced them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.types import UTCDateTime, utcnow


class ModelVersion(db.Model):
    __tablename__ = "model_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(64))
    artifact_path: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    feature_names: Mapped[list] = mapped_column(JSON)
    library_versions: Mapped[dict] = mapped_column(JSON)
    metrics: Mapped[dict] = mapped_column(JSON, default=dict)
    training_start: Mapped[date | None] = mapped_column(Date)
    training_end: Mapped[date | None] = mapped_column(Date)
    training_scores: Mapped[list | None] = mapped_column(JSON)  # histogram for PSI
    is_active: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RiskScore(db.Model):
    __tablename__ = "risk_score"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id", ondelete="CASCADE"))
    model_version_id: Mapped[int] = mapped_column(ForeignKey("model_version.id"))
    scoring_run_id: Mapped[int | None] = mapped_column(ForeignKey("scoring_run.id"))
    probability: Mapped[float] = mapped_column(Float)
    band: Mapped[str] = mapped_column(String(8))  # low|medium|high
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_risk_score_invoice_scored", "invoice_id", "scored_at"),)


class ScoringRun(db.Model):
    __tablename__ = "scoring_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    model_version_id: Mapped[int] = mapped_column(ForeignKey("model_version.id"))
    as_of: Mapped[date | None] = mapped_column(Date)  # features as known at the start of it
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    n_scored: Mapped[int] = mapped_column(Integer, default=0)
    band_counts: Mapped[dict] = mapped_column(JSON, default=dict)
    histogram: Mapped[list | None] = mapped_column(JSON)
    psi: Mapped[float | None] = mapped_column(Float)
