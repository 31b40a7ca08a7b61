"""Driving a payment the way the browser does, against localstripe."""

from __future__ import annotations

import requests
from flask import current_app

from payments.gateway import gateway
from tests.factories import csrf_token as shared_csrf_token

CARD_OK = "4242424242424242"
CARD_DECLINE_AT_CHARGE = "4000000000000341"
CARD_3DS = "4000002760003184"


def csrf_token(client, url: str = "/pay") -> str:
    return shared_csrf_token(client, url, status=200)


def confirm_card_setup(client_secret: str, number: str) -> str:
    """What Stripe.js's confirmCardSetup does: create the card and confirm the SetupIntent."""
    client = gateway().client
    method = client.v1.payment_methods.create({"type": "card", "card": {
        "number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
    setup_id = client_secret.split("_secret_")[0]
    intent = client.v1.setup_intents.confirm(setup_id, {"payment_method": method.id})
    if intent.status == "requires_action":  # the debtor passes the bank's challenge
        client.v1.setup_intents.confirm(setup_id)
    return setup_id


def create_card(number: str) -> str:
    """What Stripe.js's createPaymentMethod does: the card goes to Stripe with the
    publishable key (never to Saldo); returns the PaymentMethod id."""
    base = current_app.config["STRIPE_API_BASE"]
    response = requests.post(f"{base}/v1/payment_methods", timeout=5, json={
        "key": current_app.config["STRIPE_PUBLISHABLE_KEY"], "type": "card",
        "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
    response.raise_for_status()
    return response.json()["id"]


def authenticate_3ds(client_secret: str, success: bool = True) -> None:
    """What confirmCardPayment does on localstripe when the debtor passes 3-D Secure."""
    intent_id = client_secret.split("_secret_")[0]
    base = current_app.config["STRIPE_API_BASE"]
    response = requests.post(
        f"{base}/v1/payment_intents/{intent_id}/_authenticate?success={str(success).lower()}",
        json={"key": current_app.config["STRIPE_PUBLISHABLE_KEY"],
              "client_secret": client_secret}, timeout=5)
    response.raise_for_status()


def start_payment(client, token: str, **fields):
    data = {"csrf_token": token, "choice": "balance", **fields}
    return client.post("/pay/start", data=data)


def pay(client, number: str = CARD_OK, save_card: bool = False, **fields):
    """Start, create the card, and ask the server to charge it; returns the last response."""
    token = csrf_token(client, "/pay" + (f"?invoice={fields['invoice']}"
                                         if "invoice" in fields else ""))
    started = start_payment(client, token, **fields)
    assert started.status_code == 200, started.get_json()
    body = started.get_json()
    return client.post(body["confirm"], data={"payment_method": create_card(number),
                                              "save_card": "1" if save_card else "0"},
                       headers={"X-CSRFToken": token}), token


def sign_payload(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A `Stripe-Signature` header as Stripe computes it."""
    import hashlib
    import hmac
    import time

    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def charge_behind_our_back(client, number: str = CARD_OK, **fields) -> tuple[int, str]:
    """Start a payment, then charge it at Stripe without telling our server (the browser
    closed, the server crashed): returns (payment id, PaymentIntent id)."""
    token = csrf_token(client)
    body = start_payment(client, token, **fields).get_json()
    stripe_client = gateway().client
    payment_id = int(body["confirm"].split("/")[-2])
    from portal.extensions import db
    from portal.models import Payment

    payment = db.session.get(Payment, payment_id)
    intent = stripe_client.v1.payment_intents.create({
        "amount": payment.amount_minor, "currency": payment.currency.lower(),
        "customer": payment.debtor.stripe_customer_id, "payment_method": create_card(number),
        "metadata": {"payment_id": str(payment_id)}, "confirm": True})
    assert intent.status == "succeeded"
    return payment_id, intent.id


def stripe_event(payment_intent_id: str, event_type: str = "payment_intent.succeeded") -> dict:
    """The event localstripe created for a PaymentIntent (as it would POST it to us)."""
    events = gateway().client.v1.events.list({"type": event_type, "limit": 100})
    return next(e.to_dict() for e in events.data
                if e.data.object.id == payment_intent_id)


def charge_event(intent_id: str, event_id: str, event_type: str = "charge.refunded",
                 **changes) -> dict:
    """A charge event as Stripe sends it: the charge as Stripe holds it now (localstripe's,
    with `changes` applied, e.g. `amount_refunded`, which localstripe never sends itself)
    inside an Event envelope."""
    import time

    intent = gateway().retrieve_payment_intent(intent_id)
    charge_id = intent["latest_charge"]
    charge_id = charge_id if isinstance(charge_id, str) else charge_id["id"]
    charge = gateway().client.v1.charges.retrieve(charge_id).to_dict()
    charge.update(changes)
    return {"id": event_id, "object": "event", "api_version": "2024-06-20",
            "created": int(time.time()), "livemode": False, "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None}, "type": event_type,
            "data": {"object": charge}}


DISPUTE_EVIDENCE_FIELDS = (
    "access_activity_log", "billing_address", "cancellation_policy",
    "cancellation_policy_disclosure", "cancellation_rebuttal", "customer_communication",
    "customer_email_address", "customer_name", "customer_purchase_ip", "customer_signature",
    "duplicate_charge_documentation", "duplicate_charge_explanation", "duplicate_charge_id",
    "product_description", "receipt", "refund_policy", "refund_policy_disclosure",
    "refund_refusal_explanation", "service_date", "service_documentation", "shipping_address",
    "shipping_carrier", "shipping_date", "shipping_documentation", "shipping_tracking_number",
    "uncategorized_file", "uncategorized_text")


def dispute_event(intent_id: str, event_type: str, status: str, *,
                  dispute_id: str = "du_test_chargeback", amount: int | None = None,
                  currency: str | None = None, event_id: str | None = None,
                  reason: str = "fraudulent") -> dict:
    """A `charge.dispute.*` event exactly as Stripe documents it (API version 2024-06-20:
    an Event whose data.object is a Dispute), for the real charge of `intent_id` at
    localstripe, which has no disputes of its own. Sign it with `sign_payload`."""
    import time

    intent = gateway().retrieve_payment_intent(intent_id)
    charge = intent["latest_charge"]
    charge_id = charge if isinstance(charge, str) else charge["id"]
    created = int(time.time())
    dispute = {
        "id": dispute_id, "object": "dispute",
        "amount": intent["amount"] if amount is None else amount,
        "balance_transactions": [], "charge": charge_id, "created": created,
        "currency": currency or intent["currency"],
        "evidence": dict.fromkeys(DISPUTE_EVIDENCE_FIELDS),
        "evidence_details": {"due_by": created + 7 * 86400, "has_evidence": False,
                             "past_due": False, "submission_count": 0},
        "is_charge_refundable": status.startswith("warning_"), "livemode": False,
        "metadata": {}, "payment_intent": intent_id, "reason": reason, "status": status,
    }
    return {"id": event_id or f"evt_{dispute_id}_{event_type.rsplit('.', 1)[-1]}_{status}",
            "object": "event", "api_version": "2024-06-20", "created": created,
            "data": {"object": dispute}, "livemode": False, "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None}, "type": event_type}
