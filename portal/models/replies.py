"""Reply understanding: the versioned classifier and the labels staff give replies."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
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
    # The inbound message it labels (one label per message; a second correction updates it).
    inbound_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbound_message.id", ondelete="SET NULL"), unique=True)
    staff_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReplyUnderstanding(db.Model):
    """What Saldo understood of one inbound message and what it did about it.

    One row per understood message (a reply on email, SMS or WhatsApp, or a question in the
    portal's "Ask us" box). ``handled`` means nothing is left for a person; ``answer`` is the
    text given back (sent through the outbox as ``answer_message_id``, or shown in the
    portal). Staff corrections set ``corrected_intent`` and add a ``ReplyLabel``.
    """

    __tablename__ = "reply_understanding"

    id: Mapped[int] = mapped_column(primary_key=True)
    inbound_message_id: Mapped[int] = mapped_column(
        ForeignKey("inbound_message.id", ondelete="CASCADE"), unique=True)
    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtor.id", ondelete="CASCADE"),
                                           index=True)
    intent: Mapped[str] = mapped_column(String(16))
    confidence: Mapped[float] = mapped_column(Float)
    language: Mapped[str] = mapped_column(String(2))
    promised_on: Mapped[date | None] = mapped_column(Date)
    amount: Mapped[str | None] = mapped_column(String(32))  # as said, a decimal string
    by_rule: Mapped[bool] = mapped_column(Boolean, default=False)
    model_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("reply_model_version.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(32))
    handled: Mapped[bool] = mapped_column(Boolean, default=False)
    answer: Mapped[str | None] = mapped_column(Text)
    answer_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("message.id", ondelete="SET NULL"))
    promise_id: Mapped[int | None] = mapped_column(
        ForeignKey("promise_to_pay.id", ondelete="SET NULL"))
    dispute_id: Mapped[int | None] = mapped_column(
        ForeignKey("dispute.id", ondelete="SET NULL"))
    corrected_intent: Mapped[str | None] = mapped_column(String(16))
    corrected_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"))
    corrected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("intent IN ('promise','already_paid','hardship','dispute','stop',"
                        "'question','other')", name="intent_known"),
        CheckConstraint("confidence >= 0 AND confidence <= 1", name="confidence_range"),
    )
