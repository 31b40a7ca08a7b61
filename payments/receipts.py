"""Emails to the debtor about payments: receipts and plan notices, through the outbox.

A receipt is one outbox row per payment (dedupe key `receipt:<payment id>`), so the browser,
the webhook and the reconciliation job asking for it again never send it twice; the
dispatcher renders it in the debtor's language (`alerts.transactional`) and retries it.
`receipt_sent_at` records when it was queued.
"""

from __future__ import annotations

import logging

from sqlalchemy import update

from alerts.enqueue import enqueue
from portal.extensions import db
from portal.models import Debtor, Installment, Payment, utcnow

log = logging.getLogger(__name__)
NOTICES = ("accepted", "charge_failed", "broken")


def send_receipt(payment: Payment) -> bool:
    """Queue the receipt for a succeeded payment once; commits. True when queued now."""
    debtor = payment.debtor
    if not debtor.email or payment.status == "pending":
        return False
    claimed = db.session.execute(
        update(Payment).where(Payment.id == payment.id, Payment.receipt_sent_at.is_(None))
        .values(receipt_sent_at=utcnow()).execution_options(synchronize_session=False)
    ).rowcount
    queued = claimed and enqueue(debtor, "receipt", "email", reason="payment_received",
                                 dedupe_key=f"receipt:{payment.id}", payment_id=payment.id)
    db.session.commit()
    return bool(queued)


def send_plan_notice(debtor: Debtor, kind: str, installment: Installment,
                     last4: str | None = None) -> bool:
    """Queue a plan notice (kind: accepted, charge_failed or broken) about `installment`
    (the first one for "accepted"); once per instalment, attempt and kind. Commits."""
    if kind not in NOTICES:
        raise ValueError(f"unknown plan notice {kind!r}")
    if not debtor.email:
        return False
    key = f"plan_{kind}:{installment.id}:{installment.attempts}"
    queued = enqueue(debtor, "plan_notice", "email", template=f"plan_{kind}",
                     reason=f"plan_{kind}", dedupe_key=key, installment_id=installment.id,
                     data={"last4": last4} if last4 else None)
    db.session.commit()
    return queued is not None
