"""Reply understanding: the versioned classifier and the labels staff give replies."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.types import UTCDateTime, utcnow


class ReplyModelVersion(db.Model):
    """One trained reply classifier; the active one is the champion."""

    __tablename__ = "reply_model_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(64))
    artifact_path: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    library_versions: Mapped[dict] = mapped_column(JSON)
    metrics: Mapped[dict] = mapped_column(JSON, default=dict)
    n_train: Mapped[int] = mapped_column(Integer, default=0)
    n_corrections: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReminderPause(db.Model):
    """The debtor's reminders are paused up to and including ``until`` (after a promise made
    in a reply, or while a payment they say they made is checked)."""

    __tablename__ = "reminder_pause"

    id: Mapped[int] = mapped_column(primary_key=True)
    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtor.id", ondelete="CASCADE"))
    until: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(16))  # promise | payment_claim
    source: Mapped[str] = mapped_column(String(64))  # e.g. reply:<inbound id>
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_reminder_pause_debtor_until", "debtor_id", "until"),)


class ReplyLabel(db.Model):
    """A reply labelled by staff (a correction of what the model understood): training data.

    ``received_on`` is the day the reply was received in the debtor's time zone, so dates in
    it ("el viernes") are read as they were meant.
    """

    __tablename__ = "reply_label"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    intent: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(2))
    received_on: Mapped[date] = mapped_column(Date)
    predicted_intent: Mapped[str | None] = mapped_column(String(16))
    staff_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
