"""Chargebacks: a card holder disputes a payment at their bank (`charge.dispute.*`).

Stripe sends `charge.dispute.created`, then `…updated` as the case moves, then `…closed` with
`won` or `lost` (inquiries: `warning_*`, closed as `warning_closed`; `prevented` when the
bank stopped it). Saldo follows the case on a `Chargeback` row:

- while it is open the amount is **held**: the payment stays paid, the invoices it paid are
  marked disputed (so nothing is reminded about them), the debtor's plans stop charging the
  card (autopay paused), and staff are alerted (a `chargeback` payment issue in the
  console);
- **won** (or closed without a chargeback): it stays paid; reminders and autopay resume
  unless something else holds them;
- **lost**: the amount went back to the card holder: it is reopened on the invoices, which
  stay disputed (not reminded) until staff mark the issue handled.

Every change is claimed with a conditional update (`… WHERE outcome = 'open'`), so parallel
or repeated events close a case once.
"""

from __future__ import annotations

from sqlalchemy import func, select, update

from payments.issues import flag
from payments.money import from_stripe_amount
from payments.records import apply_returned, payment_claimed_by
from portal.audit import record
from portal.extensions import db
from portal.models import (
    Chargeback,
    Dispute,
    Invoice,
    Payment,
    PaymentAllocation,
    PaymentIssue,
    PaymentPlan,
    utcnow,
)

OPEN = ("warning_needs_response", "warning_under_review", "needs_response", "under_review")
KEPT = ("won", "warning_closed", "prevented")
LOST = ("lost",)


def _payment_for(dispute: dict) -> Payment | None:
    intent = dispute.get("payment_intent")
    intent = intent.get("id") if isinstance(intent, dict) else intent
    if not intent:  # older API versions name only the charge
        from payments.gateway import gateway

        charge = dispute["charge"] if isinstance(dispute["charge"], str) else \
            dispute["charge"]["id"]
        intent = gateway().client.v1.charges.retrieve(charge).to_dict().get("payment_intent")
    return payment_claimed_by(intent, None) if intent else None


def _problems(payment: Payment, dispute: dict, amount: int) -> dict:
    problems = {}
    currency = dispute["currency"].upper()
    if currency != payment.currency:
        problems["currency"] = [payment.currency, currency]
    elif not 0 < amount <= payment.amount_minor:
        problems["amount"] = [payment.amount_minor, amount]
    return problems


def apply_dispute(dispute: dict, event: dict) -> str:
    """Record a Stripe Dispute object for its payment; 'ok', 'ignored' or 'mismatch'."""
    payment = _payment_for(dispute)
    if payment is None:
        return "ignored"
    currency = dispute["currency"].upper()
    amount = from_stripe_amount(dispute["amount"], currency) if currency == payment.currency \
        else dispute["amount"]
    problems = _problems(payment, dispute, amount)
    if problems:
        flag("mismatch", event["id"], payment=payment,
             detail={"event_type": event["type"], "fields": problems})
        return "mismatch"
    case = db.session.scalar(select(Chargeback).where(
        Chargeback.stripe_dispute_id == dispute["id"]))
    if case is None:
        case = _open(payment, dispute, amount)
    elif case.outcome == "open":
        case.status, case.updated_at = dispute["status"], utcnow()
    if dispute["status"] in KEPT + LOST:
        _close(case, payment, dispute["status"])
    return "ok"


def _open(payment: Payment, dispute: dict, amount: int) -> Chargeback:
    charge = dispute["charge"] if isinstance(dispute["charge"], str) else dispute["charge"]["id"]
    case = Chargeback(stripe_dispute_id=dispute["id"], stripe_charge_id=charge,
                      payment_id=payment.id, amount_minor=amount, currency=payment.currency,
                      reason=str(dispute.get("reason") or "")[:64] or None,
                      status=dispute["status"], outcome="open", released_minor=0)
    db.session.add(case)
    db.session.flush()
    invoices = _hold_invoices(payment)
    plans = _pause_autopay(payment.debtor_id)
    flag("chargeback", dispute["id"], payment=payment,
         detail={"amount_minor": amount, "currency": payment.currency,
                 "reason": case.reason, "status": case.status, "invoices": invoices,
                 "paused_plans": plans})
    record("system", None, "payment.charged_back.opened", case,
           after={"payment": payment.id, "amount_minor": amount, "status": case.status,
                  "invoices": invoices, "paused_plans": plans})
    return case


def _hold_invoices(payment: Payment) -> list[int]:
    ids = list(db.session.scalars(select(PaymentAllocation.invoice_id).where(
        PaymentAllocation.payment_id == payment.id)))
    if ids:
        db.session.execute(update(Invoice).where(Invoice.id.in_(ids)).values(disputed=True)
                           .execution_options(synchronize_session=False))
    return sorted(ids)


def _pause_autopay(debtor_id: int) -> list[int]:
    ids = list(db.session.scalars(select(PaymentPlan.id).where(
        PaymentPlan.debtor_id == debtor_id, PaymentPlan.status == "active",
        PaymentPlan.autopay_paused_at.is_(None))))
    if ids:
        db.session.execute(update(PaymentPlan).where(PaymentPlan.id.in_(ids))
                           .values(autopay_paused_at=utcnow())
                           .execution_options(synchronize_session=False))
    return ids


def _close(case: Chargeback, payment: Payment, status: str) -> None:
    outcome = "lost" if status in LOST else "won"
    closed = db.session.execute(
        update(Chargeback).where(Chargeback.id == case.id, Chargeback.outcome == "open")
        .values(outcome=outcome, status=status, closed_at=utcnow(), updated_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount
    if not closed:
        return
    released = apply_returned(payment, case.amount_minor) if outcome == "lost" else 0
    db.session.execute(update(Chargeback).where(Chargeback.id == case.id)
                       .values(released_minor=released)
                       .execution_options(synchronize_session=False))
    db.session.refresh(case)
    if outcome == "won":
        release_holds(payment.debtor_id)
    record("system", None, f"payment.charged_back.{outcome}", case,
           after={"payment": payment.id, "released_minor": released})


def release_holds(debtor_id: int) -> None:
    """Reminders and autopay resume for a debtor once no chargeback of theirs is open or
    lost-and-unhandled, except where a dispute the debtor opened still holds an invoice."""
    if _holding_cases(debtor_id):
        return
    held = db.session.scalars(select(Invoice).where(Invoice.debtor_id == debtor_id,
                                                    Invoice.disputed.is_(True))).all()
    for invoice in held:
        still = db.session.scalar(select(func.count()).select_from(Dispute).where(
            Dispute.invoice_id == invoice.id, Dispute.status == "open"))
        if not still:
            invoice.disputed = False
    db.session.execute(update(PaymentPlan).where(PaymentPlan.debtor_id == debtor_id,
                                                 PaymentPlan.autopay_paused_at.is_not(None))
                       .values(autopay_paused_at=None)
                       .execution_options(synchronize_session=False))


def _holding_cases(debtor_id: int) -> int:
    """Chargebacks of the debtor still open, or lost with the staff issue still open."""
    cases = db.session.scalars(select(Chargeback).join(Payment).where(
        Payment.debtor_id == debtor_id, Chargeback.outcome.in_(("open", "lost")))).all()
    holding = 0
    for case in cases:
        if case.outcome == "open":
            holding += 1
            continue
        issue = db.session.scalar(select(PaymentIssue).where(
            PaymentIssue.kind == "chargeback", PaymentIssue.stripe_ref == case.stripe_dispute_id))
        holding += issue is None or issue.status == "open"
    return holding
