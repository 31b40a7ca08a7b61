"""Alert tables: staff-edited message templates and the scheduler's database lock."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.types import UTCDateTime, utcnow


class MessageTemplate(db.Model):
    """A staff override of the default copy for one tone × channel × locale."""

    __tablename__ = "message_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    tone: Mapped[str] = mapped_column(String(12))
    channel: Mapped[str] = mapped_column(String(16))
    locale: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("tone", "channel", "locale", name="uq_message_template_key"),
        CheckConstraint("tone IN ('gentle','neutral','firm')", name="tone_known"),
        CheckConstraint("channel IN ('email','sms','whatsapp','push')", name="channel_known"),
    )


class SchedulerLock(db.Model):
    """A named lock row (SQLite; PostgreSQL uses an advisory lock) plus the holder's heartbeat."""

    __tablename__ = "scheduler_lock"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
