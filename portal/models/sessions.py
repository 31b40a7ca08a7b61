"""Server-side sign-in sessions and remember-me tokens, for debtors and staff alike.

A browser holds only a random token (in the signed session cookie, or the remember cookie);
the database holds its SHA-256, who it belongs to and when it ends. Ending a row ends that
sign-in everywhere the token was copied to.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.types import UTCDateTime, utcnow


class UserSession(db.Model):
    """One sign-in: `id` is the SHA-256 (hex) of the token kept in the session cookie."""

    __tablename__ = "user_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_kind: Mapped[str] = mapped_column(String(1))  # d: debtor, s: staff
    user_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_reason: Mapped[str | None] = mapped_column(String(24))

    __table_args__ = (
        CheckConstraint("user_kind IN ('d','s')", name="kind_known"),
        Index("ix_user_session_user", "user_kind", "user_id"),
    )


class RememberToken(db.Model):
    """A remember-me token: `id` is the public selector, `token_hash` the SHA-256 of the
    secret half. Each use deletes the row and issues a new token (rotation)."""

    __tablename__ = "remember_token"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    user_kind: Mapped[str] = mapped_column(String(1))
    user_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint("user_kind IN ('d','s')", name="kind_known"),
        Index("ix_remember_token_user", "user_kind", "user_id"),
    )
