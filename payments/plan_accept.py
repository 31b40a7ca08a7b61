"""Accepting a payment plan: one confirmation, one bank check at most.

When the first instalment is due today it is charged with the card on the spot, with
`setup_future_usage="off_session"`, so paying it and saving the card for the next ones is
one PaymentIntent and one bank check; when it is due later the card is saved with one
SetupIntent confirmed on the server. Later instalments are charged off-session under that
mandate (`plan_service.charge_installment`). A first payment that fails ends the plan
before it starts: the debtor sees why and may choose again with another card.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from payments.balances import open_balances, open_invoices
from payments.checkout import PaymentInputError, card_for, open_setup_intent, own_customer
from payments.gateway import CardDeclined, GatewayUnavailable, gateway
from payments.plan_service import attempt_payment, plan_invoices, plan_offers
from payments.plans import find_offer
from payments.receipts import send_plan_notice, send_receipt
from payments.records import apply_failure, apply_success, plan_balance
from portal.audit import record
from portal.extensions import db
from portal.models import Debtor, Installment, Payment, PaymentPlan, utcnow
from portal.webhooks.events import emit


@dataclass
class PlanStart:
    """Where accepting a plan stands: active, requires_action (with the secret of the
    PaymentIntent or SetupIntent Stripe.js must finish) or failed (with the code)."""

    status: str
    plan: PaymentPlan
    client_secret: str | None = None
    action: str | None = None  # "payment" or "setup"
    code: str | None = None


def create_plan(debtor: Debtor, offer_key: str, today: date) -> PaymentPlan:
    """Store the chosen offer as a pending plan (accepted with a card in `activate_plan`)."""
    offer = find_offer(plan_offers(debtor, today), offer_key)
    if offer is None:
        raise PaymentInputError(_l("This plan is no longer available. Please choose again."))
    db.session.execute(update(PaymentPlan).where(
        PaymentPlan.debtor_id == debtor.id, PaymentPlan.status == "pending"
    ).values(status="cancelled", ended_at=utcnow()))
    plan = PaymentPlan(debtor_id=debtor.id, status="pending", total_minor=offer.total_minor,
                       currency=offer.currency, frequency=offer.frequency,
                       installment_count=offer.count)
    plan.installments = [Installment(seq=n, due_on=due_on, amount_minor=amount, attempts=0)
                         for n, (due_on, amount) in enumerate(offer.schedule, start=1)]
    db.session.add(plan)
    record("debtor", debtor.id, "plan.chosen", plan, after={"offer": offer.key})
    db.session.commit()
    own_customer(debtor)
    return plan


def activate_plan(plan: PaymentPlan, payment_method_id: str, today: date) -> PlanStart:
    """Accept a pending plan with the card the debtor entered: one bank check at most."""
    debtor = db.session.get(Debtor, plan.debtor_id)
    first = plan.installments[0]
    if plan.status == "active" and first.status == "pending" and first.due_on <= today:
        return _charge_first(first, debtor, plan.stripe_payment_method_id, today)  # a retry
    if plan.status != "pending":
        raise PaymentInputError(_l("This plan is no longer available. Please choose again."))
    method_id = card_for(debtor, payment_method_id)
    balance = open_balances(debtor, outside_plans=True).get(plan.currency, 0)
    if balance != plan.total_minor:
        plan.status, plan.ended_at = "cancelled", utcnow()
        db.session.commit()
        raise PaymentInputError(_l("Your balance changed. Please choose a plan again."))
    if first.due_on > today:
        return _save_card_for_later(plan, debtor, method_id)
    _start(plan, debtor, method_id)
    return _charge_first(first, debtor, method_id, today)


def _start(plan: PaymentPlan, debtor: Debtor, method_id: str) -> None:
    """pending → active (once), with the card; the plan's invoices join it."""
    claimed = db.session.execute(update(PaymentPlan).where(
        PaymentPlan.id == plan.id, PaymentPlan.status == "pending"
    ).values(status="active", stripe_payment_method_id=method_id)).rowcount
    if not claimed:
        db.session.rollback()
        raise PaymentInputError(_l("This plan is no longer available. Please choose again."))
    db.session.refresh(plan)
    for invoice in open_invoices(debtor, outside_plans=True):
        if invoice.currency == plan.currency:
            invoice.plan_id = plan.id
    record("debtor", debtor.id, "plan.accepted", plan, after={"payment_method": method_id})
    emit("plan.created", plan)
    db.session.commit()


def _announce(plan: PaymentPlan, debtor: Debtor) -> None:
    try:
        card = gateway().retrieve_payment_method(plan.stripe_payment_method_id).get("card") or {}
    except GatewayUnavailable:
        card = {}
    send_plan_notice(debtor, "accepted", plan.installments[0], last4=card.get("last4"))


def _charge_first(first: Installment, debtor: Debtor, method_id: str,
                  today: date) -> PlanStart:
    """The first instalment, on-session, saving the card with it."""
    plan = first.plan
    payment = attempt_payment(first, min(plan_balance(plan.id), first.amount_minor))
    if payment is None:
        return PlanStart("active", plan)
    try:
        intent = gateway().create_payment_intent(
            amount=payment.amount_minor, currency=payment.currency,
            customer=debtor.stripe_customer_id, payment_method=method_id,
            metadata={"payment_id": str(payment.id), "debtor_id": str(debtor.id),
                      "plan_id": str(plan.id), "installment": str(first.seq)},
            setup_future_usage="off_session", confirm=True,
            idempotency_key=f"{payment.idempotency_key}-accept")
    except CardDeclined as exc:
        apply_failure(payment, exc.code, str(exc))
        return _first_failed(plan, exc.code)
    payment.stripe_payment_intent_id = intent["id"]
    db.session.commit()
    return _first_outcome(plan, payment, intent)


def _first_outcome(plan: PaymentPlan, payment: Payment, intent: dict) -> PlanStart:
    status = intent.get("status")
    if status == "succeeded":
        if apply_success(payment, intent["id"]):
            db.session.commit()
            send_receipt(payment)
            _announce(plan, db.session.get(Debtor, plan.debtor_id))
        return PlanStart("active", plan)
    if status == "requires_action":
        return PlanStart("requires_action", plan, intent["client_secret"], "payment")
    if status in ("requires_payment_method", "canceled"):
        error = intent.get("last_payment_error") or {}
        code = error.get("decline_code") or error.get("code") or "card_declined"
        apply_failure(payment, code, error.get("message"))
        return _first_failed(plan, code)
    return PlanStart("active", plan)  # processing: the webhook finishes it


def _first_failed(plan: PaymentPlan, code: str) -> PlanStart:
    """The first payment failed: the plan never started (the debtor may choose again)."""
    if plan.status in ("pending", "active"):
        plan.status, plan.ended_at = "cancelled", utcnow()
        for invoice in plan_invoices(plan):
            invoice.plan_id = None
        for installment in plan.installments:
            if installment.status != "paid":
                installment.status, installment.next_attempt_on = "cancelled", None
        record("system", None, "plan.not_started", plan, after={"code": code})
    db.session.commit()
    return PlanStart("failed", plan, code=code)


def _save_card_for_later(plan: PaymentPlan, debtor: Debtor, method_id: str) -> PlanStart:
    """First instalment due later: save the card (one SetupIntent, confirmed here)."""
    intent = open_setup_intent(debtor, "off_session",
                               {"plan_id": str(plan.id), "debtor_id": str(debtor.id)})
    try:
        intent = gateway().confirm_setup_intent(intent["id"], method_id)
    except CardDeclined as exc:
        return _first_failed(plan, exc.code)
    return _setup_outcome(plan, debtor, intent)


def _setup_outcome(plan: PaymentPlan, debtor: Debtor, intent: dict) -> PlanStart:
    status = intent.get("status")
    if status == "succeeded":
        if plan.status == "pending":
            method = intent["payment_method"]
            method_id = method if isinstance(method, str) else method["id"]
            gateway().attach_payment_method(method_id, debtor.stripe_customer_id)
            _start(plan, debtor, method_id)
            _announce(plan, debtor)
        return PlanStart("active", plan)
    if status == "requires_action":
        return PlanStart("requires_action", plan, intent["client_secret"], "setup")
    error = intent.get("last_setup_error") or {}
    return _first_failed(plan, error.get("code") or "setup_intent_authentication_failure")


def complete_plan_start(plan: PaymentPlan, setup_intent_id: str | None = None) -> PlanStart:
    """After the bank's check in the browser: read Stripe again and record the outcome."""
    debtor = db.session.get(Debtor, plan.debtor_id)
    if setup_intent_id:
        intent = gateway().retrieve_setup_intent(setup_intent_id)
        if (intent.get("customer") != debtor.stripe_customer_id
                or (intent.get("metadata") or {}).get("plan_id") != str(plan.id)):
            raise PaymentInputError(_l("This card confirmation does not belong to this plan."))
        return _setup_outcome(plan, debtor, intent)
    first = plan.installments[0]
    payment = db.session.get(Payment, first.payment_id) if first.payment_id else None
    if payment is None or not payment.stripe_payment_intent_id:
        return PlanStart(plan.status if plan.status != "pending" else "failed", plan)
    if payment.status != "pending":
        return PlanStart("active" if payment.status == "succeeded" else "failed", plan,
                         code=payment.failure_code)
    return _first_outcome(plan, payment,
                          gateway().retrieve_payment_intent(payment.stripe_payment_intent_id))
