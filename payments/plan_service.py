"""Payment plans chosen by the debtor: charge each instalment off-session on its date
(idempotently), retry failures, break the plan after the last one, replace the card.
Accepting a plan (one bank check) is `payments.plan_accept`; the picker `plan_picker`.

Offers and schedules come from `payments.plans` (pure); this module stores and charges them.
"""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update

from alerts.settings import active_settings
from payments.balances import open_balances
from payments.checkout import PaymentInputError, open_setup_intent
from payments.gateway import CardDeclined, GatewayUnavailable, gateway
from payments.plans import Offer, offers_for, retry_date
from payments.receipts import send_plan_notice, send_receipt
from payments.records import apply_failure, apply_success, close_settled_plans, plan_balance
from portal.audit import record
from portal.extensions import db
from portal.models import Debtor, Installment, Invoice, Payment, PaymentPlan, utcnow
from portal.webhooks.events import emit


def plan_offers(debtor: Debtor, today: date) -> list[Offer]:
    """Plans the policy offers for what the debtor owes outside any plan, per currency."""
    policy = active_settings()["plans"]
    offers: list[Offer] = []
    for currency, balance in open_balances(debtor, outside_plans=True).items():
        offers.extend(offers_for(balance, currency, policy, today))
    return offers


def verified_card(setup_intent_id: str, customer: str, key: str, value: str) -> str:
    """The PaymentMethod of a succeeded SetupIntent of ours, attached to the customer."""
    intent = gateway().retrieve_setup_intent(setup_intent_id or "")
    if intent.get("customer") != customer or (intent.get("metadata") or {}).get(key) != value:
        raise PaymentInputError(_l("This card confirmation does not belong to this plan."))
    if intent.get("status") != "succeeded" or not intent.get("payment_method"):
        raise PaymentInputError(_l("The card was not confirmed. Please enter it again."))
    method = intent["payment_method"]
    method_id = method if isinstance(method, str) else method["id"]
    gateway().attach_payment_method(method_id, customer)
    return method_id


def replace_card(plan: PaymentPlan, setup_intent_id: str) -> None:
    """Use a newly confirmed card for the plan's remaining instalments."""
    debtor = db.session.get(Debtor, plan.debtor_id)
    method_id = verified_card(setup_intent_id, debtor.stripe_customer_id, "plan_id",
                              str(plan.id))
    before = plan.stripe_payment_method_id
    plan.stripe_payment_method_id = method_id
    record("debtor", debtor.id, "plan.card_replaced", plan,
           before={"payment_method": before}, after={"payment_method": method_id})
    db.session.commit()


def card_setup_secret(plan: PaymentPlan) -> str:
    debtor = db.session.get(Debtor, plan.debtor_id)
    intent = open_setup_intent(debtor, "off_session",
                               {"plan_id": str(plan.id), "debtor_id": str(debtor.id)})
    return intent["client_secret"]


def attempt_payment(installment: Installment, amount_minor: int) -> Payment | None:
    """The payment for this try: a pending one left by a timeout, else a new claimed try."""
    previous = db.session.get(Payment, installment.payment_id) if installment.payment_id else None
    if previous is not None and previous.status == "pending":
        if recover_lost_success(previous):  # the last try went through after all
            return None
        return previous
    seen = installment.attempts
    claimed = db.session.execute(update(Installment).where(
        Installment.id == installment.id, Installment.attempts == seen,
        Installment.status.in_(("pending", "failed")),
    ).values(attempts=seen + 1)).rowcount
    if not claimed:
        db.session.rollback()
        return None
    plan = installment.plan
    payment = Payment(debtor_id=plan.debtor_id, amount_minor=amount_minor,
                      currency=plan.currency, method="plan", status="pending",
                      refunded_minor=0,
                      idempotency_key=f"saldo-installment-{installment.id}-try-{seen + 1}")
    db.session.add(payment)
    db.session.flush()
    installment.payment_id = payment.id
    db.session.commit()
    db.session.refresh(installment)
    return payment


def recover_lost_success(payment: Payment) -> bool:
    """Did a try whose answer we lost succeed at Stripe? Apply it if so (Stripe honours the
    idempotency key anyway; localstripe does not, so look for its event first)."""
    from payments.reconcile import LOOKBACK

    since = int((utcnow() - LOOKBACK).timestamp())
    for event in gateway().list_events("payment_intent.succeeded", since):
        intent = event["data"]["object"]
        if (intent.get("metadata") or {}).get("payment_id") == str(payment.id):
            apply_success(payment, intent["id"])
            db.session.commit()
            send_receipt(payment)
            return True
    return False


def charge_installment(installment: Installment, today: date) -> str:
    """Charge one instalment off-session: paid, failed, broken, unavailable or skipped."""
    plan = installment.plan
    if plan.status != "active" or plan.autopay_paused_at or installment.status == "paid":
        return "skipped"
    left = plan_balance(plan.id)
    if left <= 0:  # paid some other way meanwhile
        close_settled_plans({plan.id})
        db.session.commit()
        return "skipped"
    try:
        payment = attempt_payment(installment, min(left, installment.amount_minor))
    except GatewayUnavailable:
        return "unavailable"
    if payment is None:
        return "paid" if installment.status == "paid" else "skipped"
    debtor = db.session.get(Debtor, plan.debtor_id)
    try:
        intent = gateway().create_payment_intent(
            amount=payment.amount_minor, currency=payment.currency,
            customer=debtor.stripe_customer_id, payment_method=plan.stripe_payment_method_id,
            metadata={"payment_id": str(payment.id), "debtor_id": str(debtor.id),
                      "plan_id": str(plan.id), "installment": str(installment.seq)},
            idempotency_key=payment.idempotency_key, confirm=True, off_session=True)
    except CardDeclined as exc:
        return _installment_failed(installment, payment, exc.code, str(exc), today)
    except GatewayUnavailable:
        return "unavailable"
    payment.stripe_payment_intent_id = intent["id"]
    db.session.commit()
    if intent["status"] == "succeeded":
        apply_success(payment, intent["id"])
        db.session.commit()
        send_receipt(payment)
        return "paid"
    if intent["status"] == "processing":
        return "pending"
    return _installment_failed(installment, payment, "authentication_required",
                               "the bank asked the debtor to authenticate", today)


def _installment_failed(installment: Installment, payment: Payment, code: str,
                        message: str, today: date) -> str:
    apply_failure(payment, code, message)
    plan = installment.plan
    retry_days = active_settings()["plans"].get("retry_days", [1, 3])
    installment.status = "failed"
    installment.last_error = code
    installment.next_attempt_on = retry_date(installment.due_on, installment.attempts,
                                             retry_days, today)
    debtor = db.session.get(Debtor, plan.debtor_id)
    if installment.next_attempt_on is None:
        plan.status, plan.ended_at = "broken", utcnow()
        for invoice in plan_invoices(plan):
            invoice.plan_id = None
        record("system", None, "plan.broken", plan, after={"installment": installment.seq})
        emit("plan.broken", plan)
        db.session.commit()
        send_plan_notice(debtor, "broken", installment)
        return "broken"
    record("system", None, "plan.installment_failed", plan,
           after={"installment": installment.seq, "code": code,
                  "next_attempt_on": installment.next_attempt_on.isoformat()})
    db.session.commit()
    send_plan_notice(debtor, "charge_failed", installment)
    return "failed"


def plan_invoices(plan: PaymentPlan) -> list:

    return list(db.session.scalars(select(Invoice).where(Invoice.plan_id == plan.id)))


def due_installments(today: date) -> list[Installment]:
    """Instalments of active plans due for a first try or a retry on `today` (not while
    autopay is paused by a chargeback)."""
    query = (
        select(Installment).join(PaymentPlan)
        .where(PaymentPlan.status == "active", PaymentPlan.autopay_paused_at.is_(None), or_(
            (Installment.status == "pending") & (Installment.due_on <= today),
            (Installment.status == "failed") & (Installment.next_attempt_on <= today),
        ))
        .order_by(Installment.due_on, Installment.id)
    )
    return list(db.session.scalars(query))


def charge_due(today: date) -> dict:
    """Charge every due instalment once; a plan stops at its first failure this run."""
    counts = {"paid": 0, "failed": 0, "broken": 0, "unavailable": 0, "skipped": 0,
              "pending": 0}
    stopped: set[int] = set()
    for installment in due_installments(today):
        if installment.plan_id in stopped:
            continue
        outcome = charge_installment(installment, today)
        counts[outcome] += 1
        if outcome != "paid":
            stopped.add(installment.plan_id)
    return counts


def plan_progress(plan: PaymentPlan) -> dict:
    paid = sum(i.amount_minor for i in plan.installments if i.status == "paid")
    upcoming = next((i for i in plan.installments if i.status not in ("paid", "cancelled")),
                    None)
    return {"paid_minor": paid, "remaining_minor": plan.total_minor - paid, "next": upcoming,
            "ends_on": plan.installments[-1].due_on if plan.installments else None}
