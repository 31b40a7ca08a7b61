"""Every payment failure Saldo can receive reads, in the debtor's language, what happened and
what to do next; the provider's text never reaches the page (issue 17, part 2)."""

from __future__ import annotations

import html
import json
import re
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from flask_babel import force_locale

from payments.errors import (
    DECLINE_CODES,
    ERROR_CODES,
    MESSAGES,
    failure_kind,
    failure_message,
)
from payments.gateway import GatewayUnavailable, StripeGateway
from portal.extensions import db
from tests.conftest import free_port
from tests.factories import make_debtor, make_invoice, sign_in

#: Stripe's decline codes as its decline-codes page lists them (docs.stripe.com/declines/codes).
STRIPE_DECLINE_CODES = """
authentication_required approve_with_id call_issuer card_not_supported card_velocity_exceeded
currency_not_supported do_not_honor do_not_try_again duplicate_transaction expired_card
fraudulent generic_decline incorrect_number incorrect_cvc incorrect_pin incorrect_zip
insufficient_funds invalid_account invalid_amount invalid_cvc invalid_expiry_month
invalid_expiry_year invalid_number invalid_pin issuer_not_available lost_card
merchant_blacklist new_account_information_available no_action_taken not_permitted
offline_pin_required online_or_offline_pin_required pickup_card pin_try_exceeded
processing_error reenter_transaction restricted_card revocation_of_all_authorizations
revocation_of_authorization security_violation service_not_allowed stolen_card
stop_payment_order testmode_decline transaction_not_allowed try_again_later
withdrawal_count_exceeded
""".split()

#: The error codes the issue names, plus the gateway's own (rate limit, Stripe down).
STRIPE_ERROR_CODES = ["card_declined", "expired_card", "incorrect_cvc", "processing_error",
                      "authentication_required", "payment_intent_authentication_failure",
                      "setup_intent_authentication_failure", "rate_limit",
                      "api_connection_error", "api_error"]

LOCALES = ("es_CO", "pt_BR", "en_US")


def test_every_stripe_decline_and_error_code_has_its_own_kind():
    assert set(STRIPE_DECLINE_CODES) <= set(DECLINE_CODES)
    assert set(STRIPE_ERROR_CODES) <= set(ERROR_CODES)
    assert set(DECLINE_CODES.values()) | set(ERROR_CODES.values()) <= set(MESSAGES)


@pytest.mark.parametrize("decline_code", STRIPE_DECLINE_CODES)
def test_each_decline_code_is_translated_and_says_nothing_was_charged(app, decline_code):
    texts = {}
    with app.test_request_context():
        for locale in LOCALES:
            with force_locale(locale):
                texts[locale] = failure_message("card_declined", decline_code)
    assert "Nothing was charged" in texts["en_US"]
    assert "No se realizó ningún cobro" in texts["es_CO"]
    assert "Nada foi cobrado" in texts["pt_BR"]
    assert len(set(texts.values())) == 3  # really translated, not English three times


@pytest.mark.parametrize("code", STRIPE_ERROR_CODES)
def test_each_error_code_is_translated(app, code):
    with app.test_request_context():
        with force_locale("es_CO"):
            spanish = failure_message(code)
        with force_locale("pt_BR"):
            portuguese = failure_message(code)
    assert "cobro" in spanish and "cobrado" in portuguese


@pytest.mark.parametrize(("code", "decline", "kind"), [
    ("card_declined", "insufficient_funds", "insufficient_funds"),
    ("card_declined", "lost_card", "declined"),  # Stripe: never reveal lost/stolen/fraud
    ("card_declined", "stolen_card", "declined"),
    ("card_declined", "fraudulent", "declined"),
    ("card_declined", "card_velocity_exceeded", "limit_reached"),
    ("card_declined", "do_not_honor", "call_bank"),
    ("card_declined", None, "declined"),
    ("card_declined", "a_code_stripe_adds_next_year", "declined"),
    ("expired_card", None, "expired_card"),
    ("incorrect_cvc", None, "incorrect_cvc"),
    ("processing_error", None, "try_again"),
    ("payment_intent_authentication_failure", None, "authentication"),
    ("setup_intent_authentication_failure", None, "authentication"),
    ("rate_limit", None, "rate_limited"),
    (None, None, "generic"),
])
def test_kinds(code, decline, kind):
    assert failure_kind(code, decline) == kind


def _pay_page(client, locale: str):
    debtor = make_debtor(locale=locale)
    make_invoice(debtor, issued_on=date(2026, 9, 1), amount_minor=80_000_00)
    db.session.commit()
    sign_in(client, debtor)
    page = client.get("/pay")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    messages = re.search(r'class="error pay-error"[^>]*data-messages="([^"]*)"', text).group(1)
    kinds = re.search(r'class="error pay-error"[^>]*data-kinds="([^"]*)"', text).group(1)
    return json.loads(html.unescape(messages)), json.loads(html.unescape(kinds))


@pytest.mark.parametrize("locale", ["es_CO", "pt_BR"])
def test_the_pay_page_hands_pay_js_every_sentence_in_the_debtors_language(
        stripe_app, client, locale):
    messages, kinds = _pay_page(client, locale)
    assert set(messages) == set(MESSAGES)
    assert set(STRIPE_DECLINE_CODES) <= set(kinds)
    with stripe_app.test_request_context(), force_locale("en"):
        english = {str(text) for text in MESSAGES.values()}
    assert "Nothing was charged. Please try again." in " ".join(english)
    assert not english & set(messages.values())


class _TooManyRequests(BaseHTTPRequestHandler):
    """A Stripe that answers 429, as the real one does when rate limiting."""

    def do_POST(self):  # noqa: N802 - http.server's name
        body = json.dumps({"error": {"type": "invalid_request_error", "code": "rate_limit",
                                     "message": "Too many requests"}}).encode()
        self.send_response(429)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_rate_limited_stripe_is_its_own_kind_and_nothing_is_recorded(app):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TooManyRequests)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        gateway = StripeGateway.from_config({
            "STRIPE_SECRET_KEY": "sk_test_saldo", "STRIPE_TIMEOUT": 5,
            "STRIPE_API_BASE": f"http://127.0.0.1:{server.server_address[1]}",
            "STRIPE_NETWORK_RETRIES": 0})
        with pytest.raises(GatewayUnavailable) as raised:
            gateway.create_customer("Ana", None, {})
    finally:
        server.shutdown()
        server.server_close()
    assert raised.value.code == "rate_limit"
    assert failure_kind(raised.value.code) == "rate_limited"


def test_stripe_down_is_unavailable(app):
    gateway = StripeGateway.from_config({
        "STRIPE_SECRET_KEY": "sk_test_saldo", "STRIPE_TIMEOUT": 2,
        "STRIPE_API_BASE": f"http://127.0.0.1:{free_port()}", "STRIPE_NETWORK_RETRIES": 0})
    with pytest.raises(GatewayUnavailable) as raised:
        gateway.create_customer("Ana", None, {})
    assert failure_kind(raised.value.code) == "unavailable"
