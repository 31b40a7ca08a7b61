"""Every payment failure Saldo can receive, as a kind with a translated next step.

Stripe reports a failed card payment with an error `code` (`card_declined`, `expired_card`,
`payment_intent_authentication_failure`, ...) and, for `card_declined`, a `decline_code`
from its decline-codes table (https://docs.stripe.com/declines/codes). Each of those maps to
one KIND below; each kind has one message, in the debtor's language, that says what
happened to their money and what to do next. The provider's own text is never shown:
Stripe writes it in English and, for `lost_card`, `stolen_card` and `fraudulent`, Stripe
asks merchants not to reveal the reason (those read as a plain decline).

The same table goes to the browser: `js_messages()` and `js_kinds()` are rendered as data
attributes of the payment form, so `pay.js` shows exactly the server's sentences.
"""

from __future__ import annotations

import json

from flask_babel import lazy_gettext as _l

#: kind -> the sentence shown to the debtor (what happened, then what to do next).
MESSAGES = {
    "declined": _l("Your card was declined. Nothing was charged. Try another card, "
                   "or call your bank to ask why."),
    "insufficient_funds": _l("Your card does not have enough funds. Nothing was charged. "
                             "Use another card or pay a smaller amount."),
    "expired_card": _l("Your card has expired. Nothing was charged. Use another card."),
    "incorrect_cvc": _l("The security code (CVC) is not right. Nothing was charged. "
                        "Check the 3 digits on the back of your card and try again."),
    "incorrect_details": _l("Some card details are not right. Nothing was charged. "
                            "Check the number and the expiry date and try again."),
    "limit_reached": _l("Your card has reached its limit for now. Nothing was charged. "
                        "Try again tomorrow or use another card."),
    "call_bank": _l("Your bank did not allow this payment. Nothing was charged. "
                    "Call your bank or use another card."),
    "not_supported": _l("This card cannot be used for this payment. Nothing was charged. "
                        "Use another card."),
    "try_again": _l("Your bank could not process the payment. Nothing was charged. "
                    "Please try again in a few minutes."),
    "authentication": _l("Your bank's check was not completed. Nothing was charged. "
                         "Try again and confirm the payment when your bank asks."),
    "amount": _l("Your bank refused this amount. Nothing was charged. "
                 "Try a different amount or another card."),
    "balance_changed": _l("Your balance changed. Nothing was charged. Please start again."),
    "rate_limited": _l("Too many payment attempts at once. Nothing was charged. "
                       "Wait a minute and try again."),
    "unavailable": _l("We could not reach the payment service. Nothing was charged. "
                      "Please try again in a moment."),
    "abandoned": _l("The payment was not finished. Nothing was charged. "
                    "You can start again at any time."),
    "generic": _l("Something went wrong. Nothing was charged. Please try again."),
}

#: Stripe's decline codes (docs.stripe.com/declines/codes), each with its kind.
DECLINE_CODES = {
    "authentication_required": "authentication",
    "approve_with_id": "try_again",
    "call_issuer": "call_bank",
    "card_not_supported": "not_supported",
    "card_velocity_exceeded": "limit_reached",
    "currency_not_supported": "not_supported",
    "do_not_honor": "call_bank",
    "do_not_try_again": "call_bank",
    "duplicate_transaction": "try_again",
    "expired_card": "expired_card",
    "fraudulent": "declined",
    "generic_decline": "declined",
    "incorrect_number": "incorrect_details",
    "incorrect_cvc": "incorrect_cvc",
    "incorrect_pin": "call_bank",
    "incorrect_zip": "incorrect_details",
    "insufficient_funds": "insufficient_funds",
    "invalid_account": "not_supported",
    "invalid_amount": "amount",
    "invalid_cvc": "incorrect_cvc",
    "invalid_expiry_month": "incorrect_details",
    "invalid_expiry_year": "incorrect_details",
    "invalid_number": "incorrect_details",
    "invalid_pin": "call_bank",
    "issuer_not_available": "try_again",
    "lost_card": "declined",
    "merchant_blacklist": "declined",
    "mobile_device_authentication_required": "authentication",
    "new_account_information_available": "call_bank",
    "no_action_taken": "call_bank",
    "not_permitted": "call_bank",
    "offline_pin_required": "call_bank",
    "online_or_offline_pin_required": "call_bank",
    "pickup_card": "declined",
    "pin_try_exceeded": "call_bank",
    "processing_error": "try_again",
    "reenter_transaction": "try_again",
    "restricted_card": "declined",
    "revocation_of_all_authorizations": "call_bank",
    "revocation_of_authorization": "call_bank",
    "security_violation": "declined",
    "service_not_allowed": "call_bank",
    "stolen_card": "declined",
    "stop_payment_order": "call_bank",
    "testmode_decline": "declined",
    "transaction_not_allowed": "call_bank",
    "try_again_later": "try_again",
    "withdrawal_count_exceeded": "limit_reached",
}

#: Stripe's error codes for a payment (docs.stripe.com/error-codes) and Saldo's own.
ERROR_CODES = {
    "card_declined": "declined",
    "expired_card": "expired_card",
    "incorrect_cvc": "incorrect_cvc",
    "invalid_cvc": "incorrect_cvc",
    "incorrect_number": "incorrect_details",
    "invalid_number": "incorrect_details",
    "incorrect_zip": "incorrect_details",
    "invalid_expiry_month": "incorrect_details",
    "invalid_expiry_year": "incorrect_details",
    "processing_error": "try_again",
    "authentication_required": "authentication",
    "payment_intent_authentication_failure": "authentication",
    "setup_intent_authentication_failure": "authentication",
    "payment_intent_payment_attempt_failed": "declined",
    "payment_method_provider_decline": "declined",
    "setup_attempt_failed": "declined",
    "card_decline_rate_limit_exceeded": "limit_reached",
    "amount_too_small": "amount",
    "amount_too_large": "amount",
    "rate_limit": "rate_limited",
    "api_connection_error": "unavailable",
    "api_error": "unavailable",
    "balance_changed": "balance_changed",
    "abandoned": "abandoned",
}


def failure_kind(code: str | None, decline_code: str | None = None) -> str:
    """The kind for Stripe's (code, decline_code); unknown codes are a plain decline."""
    for candidate in (decline_code, code):
        if candidate in DECLINE_CODES:
            return DECLINE_CODES[candidate]
        if candidate in ERROR_CODES:
            return ERROR_CODES[candidate]
    return "declined" if (code or decline_code) else "generic"


def failure_message(code: str | None, decline_code: str | None = None) -> str:
    """The translated sentence for a failure (rendered in the current locale)."""
    return str(MESSAGES[failure_kind(code, decline_code)])


def js_messages() -> str:
    """{kind: translated sentence} as JSON for a data attribute (pay.js reads it)."""
    return json.dumps({kind: str(text) for kind, text in MESSAGES.items()},
                      ensure_ascii=False, sort_keys=True)


def js_kinds() -> str:
    """{code: kind} for every code, as JSON for a data attribute."""
    return json.dumps({**ERROR_CODES, **DECLINE_CODES}, sort_keys=True)
