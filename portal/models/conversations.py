"""Conversations with debtors: inbound replies, the staff inbox's state, saved snippets.

A debtor has one Conversation (every channel, both directions): outgoing messages are the
debtor's outbox rows (`Message`), incoming ones are `InboundMessage` rows. A message from an
address we cannot match opens a conversation without a debtor (the unknown-sender queue),
keyed by channel and address.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.types import UTCDateTime, utcnow

INBOUND_CHANNELS = ("email", "sms", "whatsapp", "portal")


class Conversation(db.Model):
    __tablename__ = "conversation"

    id: Mapped[int] = mapped_column(primary_key=True)
    # One per debtor; NULL for the unknown-sender queue (then `sender_key` names the sender).
    debtor_id: Mapped[int | None] = mapped_column(
        ForeignKey("debtor.id", ondelete="CASCADE"), unique=True)
    sender_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    status: Mapped[str] = mapped_column(String(8), default="open")  # open | done
    assigned_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"))
    last_inbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    inbound: Mapped[list[InboundMessage]] = relationship(
        back_populates="conversation", order_by="InboundMessage.received_at")

    __table_args__ = (
        CheckConstraint("status IN ('open','done')", name="status_known"),
        CheckConstraint("debtor_id IS NOT NULL OR sender_key IS NOT NULL", name="has_owner"),
        Index("ix_conversation_status_last", "status", "last_inbound_at"),
    )


class InboundMessage(db.Model):
    """One message a debtor (or an unknown sender) sent us, stored once per provider id."""

    __tablename__ = "inbound_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversation.id", ondelete="CASCADE"), index=True)
    debtor_id: Mapped[int | None] = mapped_column(
        ForeignKey("debtor.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    sender: Mapped[str] = mapped_column(String(300))
    to_address: Mapped[str | None] = mapped_column(String(300))
    subject: Mapped[str | None] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    # The provider's id (email Message-ID, Twilio MessageSid): a retried delivery is stored once.
    provider_id: Mapped[str | None] = mapped_column(String(300))
    matched_by: Mapped[str] = mapped_column(String(12))  # token | contact | unknown | portal
    in_reply_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("message.id", ondelete="SET NULL"))
    # What reply handling did with it (e.g. "opt_out"); NULL: nothing automatic.
    action: Mapped[str | None] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    conversation: Mapped[Conversation] = relationship(back_populates="inbound")

    __table_args__ = (
        UniqueConstraint("channel", "provider_id", name="uq_inbound_provider"),
        CheckConstraint("channel IN ('email','sms','whatsapp','portal')", name="channel_known"),
        Index("ix_inbound_unread", "conversation_id", "read_at"),
    )


class ReplySnippet(db.Model):
    """A saved answer staff can start a reply from, per language."""

    __tablename__ = "reply_snippet"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    locale: Mapped[str] = mapped_column(String(10))
    body: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("title", "locale", name="uq_reply_snippet_title"),)
