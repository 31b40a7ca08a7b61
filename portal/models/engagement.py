"""What debtors do and what we send them: promises, disputes, plans, messages, visits."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from portal.models.ledger import Debtor, Invoice



class PromiseToPay(db.Model):
    __tablename__ = "promise_to_pay"

    id: Mapped[int] = mapped_column(primary_key=True)
    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtor.id", ondelete="CASCADE"), index=True)
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoice.id", ondelete="CASCADE"), index=True
    )
    promised_on: Mapped[date] = mapped_column(Date)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(12), default="open")  # open|kept|broken|cancelled
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    debtor: Mapped[Debtor] = relationship()
    invoice: Mapped[Invoice] = relationship()

    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("status IN ('open','kept','broken','cancelled')", name="status_known"),
        # At most one open promise per invoice, whoever makes it at the same moment.
        Index("uq_promise_open_invoice", "invoice_id", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
    )


class Dispute(db.Model):
    __tablename__ = "dispute"

    id: Mapped[int] = mapped_column(primary_key=True)
    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtor.id", ondelete="CASCADE"), index=True)
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoice.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(24))
    message: Mapped[str] = mapped_column(Text, default="")
    attachment_path: Mapped[str | None] = mapped_column(String(255))
    attachment_mime: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12), default="open")  # open|accepted|rejected
    resolution_note: Mapped[str | None] = mapped_column(Text)
    resolution_action: Mapped[str | None] = mapped_column(String(12))  # adjust|cancel|reject
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    debtor: Mapped[Debtor] = relationship()
    invoice: Mapped[Invoice] = relationship()

    __table_args__ = (
        CheckConstraint(
            "reason IN ('wrong_amount','already_paid','not_received','other')",
            name="reason_known",
        ),
        CheckConstraint("status IN ('open','accepted','rejected')", name="status_known"),
    )


class PaymentPlan(db.Model):
    __tablename__ = "payment_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtor.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="active")
    total_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    frequency: Mapped[str] = mapped_column(String(12))  # weekly|fortnightly|monthly
    installment_count: Mapped[int] = mapped_column(Integer)
    stripe_payment_method_id: Mapped[str | None] = mapped_column(String(64))
    # Autopay stops while the card holder disputes a charge at their bank (a chargeback).
    autopay_paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    installments: Mapped[list[Installment]] = relationship(
        back_populates="plan", order_by="Installment.seq", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint("total_minor > 0", name="total_positive"),
        CheckConstraint("installment_count > 0", name="count_positive"),
        CheckConstraint(
            "status IN ('pending','active','completed','broken','cancelled')", name="status_known"
        ),
    )


class Installment(db.Model):
    __tablename__ = "installment"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("payment_plan.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[date] = mapped_column(Date)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending|paid|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_on: Mapped[date | None] = mapped_column(Date)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"))
    last_error: Mapped[str | None] = mapped_column(Text)

    plan: Mapped[PaymentPlan] = relationship(back_populates="installments")

    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        UniqueConstraint("plan_id", "seq", name="uq_installment_plan_seq"),
        Index("ix_installment_status_next", "status", "next_attempt_on"),
    )


MESSAGE_KINDS = ("reminder", "signin_link", "receipt", "plan_notice", "dispute_outcome",
                 "staff_notification", "reply", "opt_out_confirmation", "webhook")


# A webhook names its event and endpoint and no debtor; every other kind names a debtor.
RECIPIENT_KNOWN = (
    "(kind = 'webhook' AND debtor_id IS NULL AND webhook_event_id IS NOT NULL"
    " AND webhook_endpoint_id IS NOT NULL) OR (kind <> 'webhook' AND debtor_id IS NOT NULL"
    " AND webhook_event_id IS NULL AND webhook_endpoint_id IS NULL)")


class Message(db.Model):
    """The outbox: one row per planned (or deliberately skipped) message, of every kind.

    `kind` says what it is (a reminder, a sign-in link, a receipt …); the foreign keys name
    what it is about; `subject`/`body` hold text a person wrote (a staff reply), and
    `thread_ref` the Message-ID it answers. A `webhook` row is one event for one endpoint:
    it names the event and the endpoint instead of a debtor (channel `webhook`), so nothing
    that counts or lists a debtor's messages ever sees it.
    """

    __tablename__ = "message"

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL exactly for webhooks (CHECK `recipient_known`).
    debtor_id: Mapped[int | None] = mapped_column(
        ForeignKey("debtor.id", ondelete="CASCADE"), index=True)
    webhook_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhook_event.id", ondelete="CASCADE"), index=True)
    webhook_endpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhook_endpoint.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24), default="reminder", server_default="reminder")
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id", ondelete="CASCADE"))
    installment_id: Mapped[int | None] = mapped_column(
        ForeignKey("installment.id", ondelete="CASCADE"))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id", ondelete="CASCADE"))
    dispute_id: Mapped[int | None] = mapped_column(ForeignKey("dispute.id", ondelete="CASCADE"))
    promise_id: Mapped[int | None] = mapped_column(
        ForeignKey("promise_to_pay.id", ondelete="CASCADE"))
    sent_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"))
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str | None] = mapped_column(Text)
    thread_ref: Mapped[str | None] = mapped_column(String(300))
    data: Mapped[dict | None] = mapped_column(JSON)  # facts for rendering, e.g. card last4
    channel: Mapped[str] = mapped_column(String(16))
    template: Mapped[str] = mapped_column(String(64))
    tone: Mapped[str] = mapped_column(String(12), default="neutral")
    rule: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(64))
    # The risk band the reminder was planned under (low|medium|high, "plan" for instalment
    # reminders; None for messages that are not reminders). KPIs group by it.
    band: Mapped[str | None] = mapped_column(String(8))
    locale: Mapped[str] = mapped_column(String(10), default="es")
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    send_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # End of the debtor's sending window: a message not sent by then is cancelled, not sent late.
    not_after: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_id: Mapped[str | None] = mapped_column(String(128))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    clicked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint(
            "status IN ('pending','sending','sent','failed','cancelled','skipped')",
            name="status_known",
        ),
        CheckConstraint(
            "kind IN ('reminder','signin_link','receipt','plan_notice','dispute_outcome',"
            "'staff_notification','reply','opt_out_confirmation','webhook')",
            name="kind_known",
        ),
        CheckConstraint(RECIPIENT_KNOWN, name="recipient_known"),
        Index("ix_message_status_send_at", "status", "send_at"),
        Index("ix_message_debtor_sent", "debtor_id", "sent_at"),
    )


class PushSubscription(db.Model):
    __tablename__ = "push_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtor.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PortalVisit(db.Model):
    __tablename__ = "portal_visit"

    id: Mapped[int] = mapped_column(primary_key=True)
    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtor.id", ondelete="CASCADE"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id", ondelete="SET NULL"))
    visited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_portal_visit_debtor_at", "debtor_id", "visited_at"),)


class AccessLink(db.Model):
    """A signed link handed to a debtor; failures at the identity check lock it."""

    __tablename__ = "access_link"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # the token's random id
    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtor.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16), default="account")
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id", ondelete="SET NULL"))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last tap recorded as a PortalVisit: taps closer together than that add no row.
    last_visit_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
