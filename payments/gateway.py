"""The one door to Stripe: every call goes through `StripeGateway` (the official SDK).

The gateway is chosen by configuration like any external service: `STRIPE_API_BASE` points
the SDK at localstripe (the embedded default) or is empty for real Stripe. It speaks the
subset of the API both understand (localstripe through `payments.devstripe`, which adds
`setup_future_usage` and Stripe.js's `createPaymentMethod`): localstripe rejects unknown
parameters, does not attach a PaymentMethod when a SetupIntent is confirmed and ignores
idempotency keys, so callers also keep their own records of what they asked for (see
`payments.checkout`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import stripe
from flask import current_app

from payments.money import to_stripe_amount


class GatewayUnavailable(Exception):
    """Stripe could not be reached, did not answer in time, or asked us to slow down
    (`code` is "rate_limit" then, else "api_connection_error"): try again later."""

    def __init__(self, message: str, code: str = "api_connection_error"):
        super().__init__(message)
        self.code = code


class CardDeclined(Exception):
    """The card was declined; `code` is Stripe's decline code (card_declined, ...)."""

    def __init__(self, code: str | None, message: str, payment_intent: dict | None = None):
        super().__init__(message)
        self.code = code or "card_declined"
        self.payment_intent = payment_intent


class GatewayError(Exception):
    """Stripe refused the request for another reason (a bug or a misconfiguration)."""

    def __init__(self, message: str, http_status: int | None = None):
        super().__init__(message)
        self.http_status = http_status


@dataclass
class StripeGateway:
    """Thin wrapper over `stripe.StripeClient` that maps errors to our three exceptions."""

    client: stripe.StripeClient

    @classmethod
    def from_config(cls, config) -> StripeGateway:
        base = config.get("STRIPE_API_BASE") or None
        client = stripe.StripeClient(
            config["STRIPE_SECRET_KEY"],
            base_addresses={"api": base} if base else None,
            http_client=stripe.RequestsClient(timeout=float(config.get("STRIPE_TIMEOUT", 20))),
            max_network_retries=int(config.get("STRIPE_NETWORK_RETRIES", 1)),
        )
        return cls(client)

    def _call(self, fn, *args, **kwargs):
        """Call the SDK; answers come back as plain dicts (StripeObject.to_dict())."""
        try:
            result = fn(*args, **kwargs)
            return result.to_dict() if isinstance(result, stripe.StripeObject) else result
        except stripe.CardError as exc:
            error = (exc.json_body or {}).get("error", {})
            raise CardDeclined(error.get("decline_code") or exc.code, exc.user_message or
                               str(exc), error.get("payment_intent")) from exc
        except stripe.RateLimitError as exc:
            raise GatewayUnavailable(str(exc), "rate_limit") from exc
        except stripe.APIConnectionError as exc:
            raise GatewayUnavailable(str(exc)) from exc
        except stripe.APIError as exc:
            raise GatewayUnavailable(str(exc)) from exc
        except stripe.StripeError as exc:
            if exc.http_status and exc.http_status >= 500:
                raise GatewayUnavailable(str(exc)) from exc
            raise GatewayError(str(exc), exc.http_status) from exc

    @staticmethod
    def _opts(idempotency_key: str | None) -> dict:
        return {"idempotency_key": idempotency_key} if idempotency_key else {}

    # Customers and cards -------------------------------------------------------------
    def create_customer(self, name: str, email: str | None, metadata: dict,
                        idempotency_key: str | None = None) -> Any:
        params = {"name": name, "metadata": metadata}
        if email:
            params["email"] = email
        return self._call(self.client.v1.customers.create, params,
                          self._opts(idempotency_key))

    def customer_exists(self, customer: str) -> bool:
        try:
            found = self._call(self.client.v1.customers.retrieve, customer)
        except GatewayError as exc:
            if exc.http_status == 404:
                return False
            raise
        return not found.get("deleted")

    def create_setup_intent(self, customer: str, usage: str, metadata: dict) -> Any:
        params = {"customer": customer, "usage": usage, "payment_method_types": ["card"],
                  "metadata": metadata}
        return self._call(self.client.v1.setup_intents.create, params)

    def confirm_setup_intent(self, setup_intent_id: str, payment_method: str) -> Any:
        """Confirm a SetupIntent on the server with a card the browser created."""
        return self._call(self.client.v1.setup_intents.confirm, setup_intent_id,
                          {"payment_method": payment_method})

    def retrieve_setup_intent(self, setup_intent_id: str) -> Any:
        return self._call(self.client.v1.setup_intents.retrieve, setup_intent_id)

    def retrieve_payment_method(self, payment_method_id: str) -> Any:
        return self._call(self.client.v1.payment_methods.retrieve, payment_method_id)

    def attach_payment_method(self, payment_method_id: str, customer: str) -> Any:
        """Attach unless already attached (real Stripe attaches on SetupIntent confirm)."""
        method = self.retrieve_payment_method(payment_method_id)
        if method.get("customer") == customer:
            return method
        return self._call(self.client.v1.payment_methods.attach, payment_method_id,
                          {"customer": customer})

    def detach_payment_method(self, payment_method_id: str) -> Any:
        return self._call(self.client.v1.payment_methods.detach, payment_method_id)

    # Payment intents -----------------------------------------------------------------
    def create_payment_intent(self, *, amount: int, currency: str, customer: str,
                              payment_method: str, metadata: dict, idempotency_key: str,
                              confirm: bool = False, off_session: bool = False,
                              setup_future_usage: str | None = None) -> Any:
        """`amount` is in our minor units; it is sent in Stripe's (see payments.currencies).
        `setup_future_usage="off_session"` saves the card with this payment (one bank
        check for both); without it the card is used once and never attached."""
        params: dict = {"amount": to_stripe_amount(amount, currency),
                        "currency": currency.lower(), "customer": customer,
                        "payment_method": payment_method, "payment_method_types": ["card"],
                        "metadata": metadata}
        if setup_future_usage:
            params["setup_future_usage"] = setup_future_usage
        if confirm:
            params["confirm"] = True
            if off_session:
                params["off_session"] = True
        return self._call(self.client.v1.payment_intents.create, params,
                          self._opts(idempotency_key))

    def confirm_payment_intent(self, payment_intent_id: str, idempotency_key: str) -> Any:
        return self._call(self.client.v1.payment_intents.confirm, payment_intent_id, None,
                          self._opts(idempotency_key))

    def retrieve_payment_intent(self, payment_intent_id: str) -> Any:
        return self._call(self.client.v1.payment_intents.retrieve, payment_intent_id)

    def refund(self, payment_intent_id: str, amount: int, idempotency_key: str,
               currency: str | None = None) -> Any:
        """`amount` in our minor units of `currency` (converted to Stripe's when given)."""
        if currency:
            amount = to_stripe_amount(amount, currency)
        params = {"payment_intent": payment_intent_id, "amount": amount}
        return self._call(self.client.v1.refunds.create, params, self._opts(idempotency_key))

    def list_events(self, event_type: str, created_after: int, limit: int = 100) -> list:
        """Every event of one type created after a Unix time, following pagination."""
        events: list = []
        params: dict = {"type": event_type, "created": {"gt": created_after}, "limit": limit}
        while True:
            page = self._call(self.client.v1.events.list, params)
            events.extend(page["data"])
            if not page.get("has_more") or not page["data"]:
                return events
            params["starting_after"] = page["data"][-1]["id"]


def gateway() -> StripeGateway:
    """The app's gateway, built once per app from its configuration."""
    cached = current_app.extensions.get("saldo_stripe")
    if cached is None:
        cached = StripeGateway.from_config(current_app.config)
        current_app.extensions["saldo_stripe"] = cached
    return cached
