"""Pay now: one PaymentIntent, confirmed with the card, so the bank checks once.

1. `start_payment` turns the debtor's choice (whole balance, one invoice, an amount) into an
   amount computed here and stores a pending Payment with its idempotency key.
2. Stripe.js turns the card Element into a PaymentMethod (the card number never reaches
   us); `charge_payment` creates the PaymentIntent with it, with `setup_future_usage` only
   when the debtor asked to save the card, and confirms it. Each step stores what it got
   before the next call, so a retry after a timeout resumes and never charges twice.
3. When the bank wants its check (3-D Secure), Stripe.js shows it once
   (`confirmCardPayment(client_secret)`), and `complete_payment` re-reads the PaymentIntent.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from payments.balances import open_balances
from payments.gateway import CardDeclined, gateway
from payments.money import parse_typed_amount
from payments.records import (
    apply_failure,
    apply_success,
    claim_for_confirm,
    release_claim,
)
from portal.audit import record
from portal.extensions import db
from portal.models import Debtor, Invoice, Payment


class PaymentInputError(ValueError):
    """The debtor's choice cannot be paid; the message is translated and shown as is."""


class PaymentBusy(PaymentInputError):
    """Another request is confirming this payment right now (answered with HTTP 409)."""


BUSY_MESSAGE = _l("This payment is already being processed. Wait a moment and check the "
                  "result; you were not charged again.")


@dataclass
class Outcome:
    """Where a payment stands after a step: succeeded, requires_action, failed, pending."""

    status: str
    payment: Payment
    client_secret: str | None = None
    decline_code: str | None = None


def payment_amount(debtor: Debtor, choice: str, *, invoice_ref: str | None = None,
                   amount_text: str | None = None, currency: str | None = None,
                   minimum_minor: int = 0) -> tuple[int, str, Invoice | None]:
    """(amount_minor, currency, chosen invoice) for a choice; raises PaymentInputError."""
    balances = open_balances(debtor)
    if choice == "invoice":
        invoice = db.session.scalar(select(Invoice).where(
            Invoice.external_id == (invoice_ref or ""), Invoice.debtor_id == debtor.id))
        if invoice is None or invoice.status != "open" or invoice.balance_minor <= 0:
            raise PaymentInputError(_l("This invoice has nothing left to pay."))
        return invoice.balance_minor, invoice.currency, invoice
    currency = currency or (next(iter(balances)) if balances else None)
    balance = balances.get(currency or "", 0)
    if balance <= 0:
        raise PaymentInputError(_l("You have nothing to pay right now."))
    if choice == "balance":
        return balance, currency, None
    if choice != "amount":
        raise PaymentInputError(_l("Choose what you want to pay."))
    amount = parse_typed_amount(amount_text or "", currency, debtor.locale or "es")
    if amount is None:
        raise PaymentInputError(_l("Enter the amount as a number, like 150000."))
    if amount < min(minimum_minor, balance) or amount <= 0:
        raise PaymentInputError(_l("The amount is below the minimum payment."))
    if amount > balance:
        raise PaymentInputError(_l("The amount is more than your balance."))
    return amount, currency, None


def ensure_customer(debtor: Debtor) -> str:
    """The debtor's Stripe customer id, created (and stored) the first time."""
    if not debtor.stripe_customer_id:
        customer = gateway().create_customer(
            debtor.name, debtor.email, {"debtor_id": str(debtor.id)},
            idempotency_key=f"saldo-customer-{debtor.id}")
        debtor.stripe_customer_id = customer["id"]
        db.session.commit()
    return debtor.stripe_customer_id


def own_customer(debtor: Debtor) -> str:
    """The debtor's Stripe customer; one Stripe no longer knows (a reset test account, a
    wiped localstripe) is created again."""
    if debtor.stripe_customer_id and not gateway().customer_exists(debtor.stripe_customer_id):
        debtor.stripe_customer_id = None
        db.session.commit()
    return ensure_customer(debtor)


def open_setup_intent(debtor: Debtor, usage: str, metadata: dict) -> dict:
    """A SetupIntent for the debtor's customer (replacing a plan's card)."""
    return gateway().create_setup_intent(own_customer(debtor), usage, metadata)


def start_payment(debtor: Debtor, amount_minor: int, currency: str,
                  invoice: Invoice | None) -> Payment:
    """Store a pending payment for an amount computed here (nothing is sent to Stripe)."""
    payment = Payment(debtor=debtor, amount_minor=amount_minor, currency=currency,
                      method="card", status="pending", refunded_minor=0,
                      idempotency_key=f"saldo-pay-{uuid.uuid4().hex}",
                      target_invoice_id=invoice.id if invoice else None)
    db.session.add(payment)
    record("debtor", debtor.id, "payment.started", payment,
           after={"amount_minor": amount_minor, "currency": currency})
    db.session.commit()
    own_customer(debtor)
    return payment


def card_for(debtor: Debtor, payment_method_id: str) -> str:
    """The id of a card PaymentMethod the debtor just entered (or saved before): refused
    when it is not a card or belongs to another customer."""
    if not payment_method_id or not payment_method_id.startswith("pm_"):
        raise PaymentInputError(_l("The card was not confirmed. Please enter it again."))
    method = gateway().retrieve_payment_method(payment_method_id)
    if method.get("type") != "card" or method.get("customer") not in (
            None, debtor.stripe_customer_id):
        raise PaymentInputError(_l("This card confirmation does not belong to this payment."))
    return method["id"]


def _check_still_owed(payment: Payment) -> None:
    """Refuse to charge more than is owed now (something else may have been paid meanwhile)."""
    target = db.session.get(Invoice, payment.target_invoice_id) if (
        payment.target_invoice_id) else None
    owed = (target.balance_minor if target is not None and target.status == "open"
            else open_balances(payment.debtor).get(payment.currency, 0))
    if payment.amount_minor > owed:
        apply_failure(payment, "balance_changed", None)
        db.session.commit()
        raise PaymentInputError(_l("Your balance changed. Nothing was charged. "
                                   "Please start again."))


def charge_payment(payment: Payment, payment_method_id: str | None,
                   save_card: bool = False) -> Outcome:
    """Create and confirm the PaymentIntent for a pending payment with the debtor's card
    (safe to call again: it resumes with the PaymentIntent already created).

    The payment is claimed first (pending → confirming, committed) so that of parallel
    confirms only one reaches Stripe; the others get `PaymentBusy`, or the outcome once it
    is known. A confirm that ends without an outcome puts the payment back to pending."""
    if not claim_for_confirm(payment):
        if payment.status == "confirming":
            raise PaymentBusy(BUSY_MESSAGE)
        return Outcome(payment.status, payment, decline_code=payment.failure_code)
    try:
        outcome = _charge_claimed(payment, payment_method_id, save_card)
    except BaseException:
        release_claim(payment)
        raise
    if payment.status == "confirming":
        release_claim(payment)
    return outcome


def _charge_claimed(payment: Payment, payment_method_id: str | None,
                    save_card: bool) -> Outcome:
    if payment.stripe_payment_intent_id:
        intent = gateway().retrieve_payment_intent(payment.stripe_payment_intent_id)
        if intent["status"] != "requires_confirmation":
            return settle_from_intent(payment, intent)
    else:
        _check_still_owed(payment)
        method_id = card_for(payment.debtor, payment_method_id or "")
        intent = gateway().create_payment_intent(
            amount=payment.amount_minor, currency=payment.currency,
            customer=payment.debtor.stripe_customer_id, payment_method=method_id,
            metadata={"payment_id": str(payment.id), "debtor_id": str(payment.debtor_id),
                      "save_card": "1" if save_card else "0"},
            setup_future_usage="off_session" if save_card else None,
            idempotency_key=f"{payment.idempotency_key}-create")
        payment.stripe_payment_intent_id = intent["id"]
        db.session.commit()
    try:
        intent = gateway().confirm_payment_intent(intent["id"],
                                                  f"{payment.idempotency_key}-confirm")
    except CardDeclined as exc:
        apply_failure(payment, exc.code, str(exc))
        db.session.commit()
        return Outcome("failed", payment, decline_code=exc.code)
    return settle_from_intent(payment, intent)


def settle_from_intent(payment: Payment, intent) -> Outcome:
    """Record what a PaymentIntent says (succeeded, failed, or still needs the debtor)."""
    status = intent.get("status")
    if status == "succeeded":
        applied = apply_success(payment, intent["id"])
        db.session.commit()
        if applied:
            _after_success(payment, intent)
        return Outcome("succeeded", payment)
    if status == "requires_action":
        return Outcome("requires_action", payment, client_secret=intent["client_secret"])
    if status in ("requires_payment_method", "canceled"):
        error = intent.get("last_payment_error") or {}
        code = error.get("decline_code") or error.get("code") or "card_declined"
        apply_failure(payment, code, error.get("message"))
        db.session.commit()
        return Outcome("failed", payment, decline_code=code)
    return Outcome("pending", payment)


def complete_payment(payment: Payment) -> Outcome:
    """After a 3-D Secure challenge: read the PaymentIntent again and record it."""
    if payment.status != "pending" or not payment.stripe_payment_intent_id:
        return Outcome(payment.status, payment, decline_code=payment.failure_code)
    return settle_from_intent(payment,
                              gateway().retrieve_payment_intent(payment.stripe_payment_intent_id))


def _after_success(payment: Payment, intent) -> None:
    from payments.receipts import send_receipt

    send_receipt(payment)
    if payment.excess_minor and payment.excess_refunded_at is None:
        from payments.reconcile import refund_excess

        refund_excess(payment)
