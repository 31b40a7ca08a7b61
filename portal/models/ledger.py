"""The ledger: debtors, invoices, payments and how payments are allocated to invoices.

Money is always an integer number of minor units next to an ISO 4217 currency code.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.mixins import DebtorUser
from portal.models.types import UTCDateTime, utcnow

CHANNELS = ("email", "sms", "whatsapp", "push")
INVOICE_STATUSES = ("open", "paid", "cancelled")
PAYMENT_STATUSES = ("pending", "confirming", "succeeded", "failed", "refunded",
                    "partially_refunded")


def _unique_when_set(table: str, column: str) -> Index:
    """Unique where set: rows that leave `column` NULL (every imported debtor and payment)
    add no index entry, and NULLs never conflict, so uniqueness is what a plain unique
    constraint gives. No `ON CONFLICT` may name these columns (it would need the predicate).
    """
    where = text(f"{column} IS NOT NULL")
    return Index(f"uq_{table}_{column}", column, unique=True,
                 postgresql_where=where, sqlite_where=where)


class Debtor(DebtorUser, db.Model):
    __tablename__ = "debtor"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    locale: Mapped[str] = mapped_column(String(10), default="es")
    timezone: Mapped[str] = mapped_column(String(64), default="America/Bogota")
    country: Mapped[str | None] = mapped_column(String(8))
    paperless: Mapped[bool] = mapped_column(Boolean, default=False)

    # Channel preferences: what the debtor authorised, what they prefer, and a global opt-out.
    allow_email: Mapped[bool] = mapped_column(Boolean, default=True)
    allow_sms: Mapped[bool] = mapped_column(Boolean, default=True)
    allow_whatsapp: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_push: Mapped[bool] = mapped_column(Boolean, default=False)
    preferred_channel: Mapped[str | None] = mapped_column(String(16))
    quiet_start: Mapped[time | None] = mapped_column(Time)
    quiet_end: Mapped[time | None] = mapped_column(Time)
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The day the debtor consented to each channel (None: no consent recorded). A
    # jurisdiction profile requiring explicit consent (Colombia) uses only these channels.
    consent_email_at: Mapped[date | None] = mapped_column(Date)
    consent_sms_at: Mapped[date | None] = mapped_column(Date)
    consent_whatsapp_at: Mapped[date | None] = mapped_column(Date)

    # The fact a debtor confirms before seeing amounts (kind + salted hash, never plain).
    identity_kind: Mapped[str | None] = mapped_column(String(24))
    identity_hash: Mapped[str | None] = mapped_column(String(255))

    stripe_customer_id: Mapped[str | None] = mapped_column(String(64))
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_run.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    invoices: Mapped[list[Invoice]] = relationship(back_populates="debtor")

    __table_args__ = (
        CheckConstraint(
            "preferred_channel IS NULL OR preferred_channel IN ('email','sms','whatsapp','push')",
            name="preferred_channel_known",
        ),
        _unique_when_set("debtor", "stripe_customer_id"),
    )

    def allows(self, channel: str) -> bool:
        return self.opted_out_at is None and bool(getattr(self, f"allow_{channel}", False))

    def __repr__(self) -> str:
        return f"<Debtor {self.external_id}>"


class Invoice(db.Model):
    __tablename__ = "invoice"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtor.id", ondelete="CASCADE"))
    issued_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(12), default="open")
    paid_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    settled_on: Mapped[date | None] = mapped_column(Date)
    disputed: Mapped[bool] = mapped_column(Boolean, default=False)
    paperless: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str | None] = mapped_column(String(200))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("payment_plan.id", ondelete="SET NULL"))
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_run.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    debtor: Mapped[Debtor] = relationship(back_populates="invoices")
    allocations: Mapped[list[PaymentAllocation]] = relationship(back_populates="invoice")

    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint(
            "paid_minor >= 0 AND paid_minor <= amount_minor", name="paid_within_amount"
        ),
        CheckConstraint("due_on >= issued_on", name="due_after_issue"),
        CheckConstraint("status IN ('open','paid','cancelled')", name="status_known"),
        CheckConstraint("length(currency) = 3", name="currency_iso"),
        # The scheduler's queries: open invoices by due date, and a debtor's open invoices.
        Index("ix_invoice_status_due_on", "status", "due_on"),
        Index("ix_invoice_debtor_status", "debtor_id", "status"),
    )

    @property
    def balance_minor(self) -> int:
        return 0 if self.status == "cancelled" else self.amount_minor - self.paid_minor

    def is_late(self, today: date) -> bool:
        """Late: settled after its due date, or still open past it."""
        if self.settled_on is not None:
            return self.settled_on > self.due_on
        return self.status == "open" and today > self.due_on

    def __repr__(self) -> str:
        return f"<Invoice {self.external_id} {self.amount_minor} {self.currency}>"


class Payment(db.Model):
    __tablename__ = "payment"

    id: Mapped[int] = mapped_column(primary_key=True)
    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtor.id", ondelete="CASCADE"), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    method: Mapped[str] = mapped_column(String(16))  # card | imported | transfer | plan
    # pending → confirming (claimed by one confirm request while Stripe is called) → succeeded
    # | failed; a confirm that ends without an outcome puts it back to pending.
    status: Mapped[str] = mapped_column(String(20), default="pending")
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    # Where the payment came from: a Stripe PaymentIntent, or a ledger import (`import:<id>`).
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(64))
    external_ref: Mapped[str | None] = mapped_column(String(100), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    target_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"))
    failure_code: Mapped[str | None] = mapped_column(String(64))
    failure_message: Mapped[str | None] = mapped_column(Text)
    received_on: Mapped[date | None] = mapped_column(Date)
    # Paid after the invoices were already settled (a race): refunded to the card.
    excess_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    excess_refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    receipt_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set while one staff refund is being asked of Stripe (claimed by a conditional update).
    refund_claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    debtor: Mapped[Debtor] = relationship()
    allocations: Mapped[list[PaymentAllocation]] = relationship(
        back_populates="payment", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint(
            "refunded_minor >= 0 AND refunded_minor <= amount_minor", name="refund_within_amount"
        ),
        CheckConstraint(
            "status IN ('pending','confirming','succeeded','failed','refunded',"
            "'partially_refunded')",
            name="status_known",
        ),
        _unique_when_set("payment", "stripe_payment_intent_id"),
        _unique_when_set("payment", "idempotency_key"),
    )


class PaymentAllocation(db.Model):
    __tablename__ = "payment_allocation"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id", ondelete="CASCADE"))
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoice.id", ondelete="CASCADE"), index=True
    )
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    payment: Mapped[Payment] = relationship(back_populates="allocations")
    invoice: Mapped[Invoice] = relationship(back_populates="allocations")

    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        UniqueConstraint("payment_id", "invoice_id", name="uq_payment_allocation_pair"),
    )


class ImportRun(db.Model):
    """One run of `saldo import ledger`: what file, when, and what it did."""

    __tablename__ = "import_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(255))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    invoices_created: Mapped[int] = mapped_column(Integer, default=0)
    invoices_updated: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="running")
    # Where the rows came from (cli, api, folder) and what the import found.
    origin: Mapped[str] = mapped_column(String(16), default="cli")
    customers: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list | None] = mapped_column(JSON)  # the first errors: [{line, error}]
    # A dropped file's SHA-256: the same content is imported once.
    content_sha256: Mapped[str | None] = mapped_column(String(64), unique=True)


class CreditNote(db.Model):
    """A credit the billing system issued against an invoice: lowers what is owed on it."""

    __tablename__ = "credit_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoice.id", ondelete="CASCADE"), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str | None] = mapped_column(String(200))
    issued_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (CheckConstraint("amount_minor > 0", name="amount_positive"),)
