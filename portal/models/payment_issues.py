"""Payment issues and chargebacks: what Stripe told us that staff must see.

Issues: what Stripe told us that we did not (or could not) apply on our own.

A webhook whose amount, currency, customer or intent disagrees with the local payment, a
charge at Stripe that matches no payment, a second charge for one payment: each is kept as
a `PaymentIssue` that staff see in the console (and on the debtor's timeline) until they
mark it handled. `stripe_ref` (an event, charge or dispute id) keeps a repeated finding
from being stored twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.types import UTCDateTime, utcnow

ISSUE_KINDS = ("mismatch", "unmatched_charge", "double_charge", "refund_failed", "chargeback")


class PaymentIssue(db.Model):
    __tablename__ = "payment_issue"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    stripe_ref: Mapped[str] = mapped_column(String(255))
    debtor_id: Mapped[int | None] = mapped_column(
        ForeignKey("debtor.id", ondelete="CASCADE"), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id", ondelete="CASCADE"))
    # What was found and what Saldo did about it (refunded, left for staff), for the console.
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    action: Mapped[str] = mapped_column(String(16), default="flagged")  # flagged|refunded
    status: Mapped[str] = mapped_column(String(12), default="open")  # open|resolved
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    debtor = relationship("Debtor")
    payment = relationship("Payment")

    __table_args__ = (
        CheckConstraint("kind IN ('mismatch','unmatched_charge','double_charge',"
                        "'refund_failed','chargeback')", name="kind_known"),
        CheckConstraint("action IN ('flagged','refunded')", name="action_known"),
        CheckConstraint("status IN ('open','resolved')", name="status_known"),
        UniqueConstraint("kind", "stripe_ref", name="uq_payment_issue_kind_ref"),
        Index("ix_payment_issue_status_created", "status", "created_at"),
    )


class Chargeback(db.Model):
    """A card holder's dispute of a payment at their bank (Stripe's Dispute object).

    `status` is Stripe's (warning_needs_response … won, lost); `outcome` is ours: open while
    the bank decides (the amount is held: it stays paid, is not reminded, autopay is
    paused), then won (it stays paid) or lost (`released_minor` reopened on the invoices).
    """

    __tablename__ = "chargeback"

    id: Mapped[int] = mapped_column(primary_key=True)
    stripe_dispute_id: Mapped[str] = mapped_column(String(255), unique=True)
    stripe_charge_id: Mapped[str | None] = mapped_column(String(255))
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id", ondelete="CASCADE"),
                                            index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(8), default="open")  # open|won|lost
    released_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    payment = relationship("Payment")

    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("outcome IN ('open','won','lost')", name="outcome_known"),
    )
