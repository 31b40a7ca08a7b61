"""localstripe, taught the few Stripe behaviours Saldo's card flow relies on.

Run it like localstripe: `python -m payments.devstripe --port 8420 --from-scratch` (the demo
and the tests do). localstripe 1.15 leaves out three things real Stripe does, and without
them a payment would need two bank checks (save the card, then charge it):

1. `setup_future_usage` on a PaymentIntent: accepted, and on success the card is attached
   to the customer, as Stripe does ("save the card with the payment").
2. Stripe.js `createPaymentMethod({type: "card", card})` (a no-op in localstripe's
   Stripe.js): creates the PaymentMethod with the publishable key, as Stripe.js does.
3. Stripe.js `confirmCardSetup(secret)` with no card (the SetupIntent was confirmed on the
   server and needs the bank's check): shows the one challenge and finishes it.

It also declines 4000 0000 0000 0002 when a PaymentIntent is confirmed with it (localstripe
declines it only when a card is attached), with Stripe's `generic_decline`, and lets a card
saved for off-session use (SetupIntent or `setup_future_usage`) be charged off-session
without a new challenge when Stripe's test card says so (4000 0025 0000 3155).
Everything else is localstripe unchanged. Nothing here is imported by the app.
"""

from __future__ import annotations

import re

from localstripe import resources
from localstripe.errors import UserError

# Cards whose authentication Stripe remembers once they are set up for off-session use.
SETUP_ONCE_CARDS = {"4000002500003155"}
ALWAYS_DECLINED = {"4000000000000002": "generic_decline",
                   "4000000000009995": "insufficient_funds",
                   "4000000000009987": "lost_card",
                   "4000000000009979": "stolen_card",
                   "4000000000000069": "expired_card",
                   "4000000000000127": "incorrect_cvc",
                   "4000000000000119": "processing_error"}

_original_init = resources.PaymentIntent.__init__
_original_on_success = resources.PaymentIntent._on_success
_original_confirm = resources.PaymentIntent._confirm
_original_attach_pm = resources.SetupIntent._attach_pm


def _init(self, *args, setup_future_usage=None, **kwargs):
    if setup_future_usage not in (None, "on_session", "off_session"):
        raise UserError(400, "Bad request")
    _original_init(self, *args, **kwargs)
    self.setup_future_usage = setup_future_usage
    self._off_session = False


def _on_success(self):
    if self.setup_future_usage and self.customer and self.payment_method:
        method = resources.PaymentMethod._api_retrieve(self.payment_method)
        method.customer = self.customer
        method._saved_off_session = self.setup_future_usage == "off_session"
    _original_on_success(self)


def _confirm(self, on_failure_now):
    method = resources.PaymentMethod._api_retrieve(self.payment_method)
    number = getattr(method, "_card_number", None)
    if number in ALWAYS_DECLINED:
        self._authentication_failed = False
        raise UserError(402, "Your card was declined.",
                        {"code": "card_declined", "decline_code": ALWAYS_DECLINED[number],
                         "payment_intent": {"id": self.id}})
    if (self._off_session and number in SETUP_ONCE_CARDS
            and getattr(method, "_saved_off_session", False)):
        self._authentication_failed = False
        self._create_charge(on_failure_now=on_failure_now)
        return
    _original_confirm(self, on_failure_now)


@classmethod
def _api_create(cls, confirm=None, off_session=None, **data):
    """As localstripe's, remembering whether the confirmation is off-session."""
    confirm = resources.try_convert_to_bool(confirm)
    off_session = resources.try_convert_to_bool(off_session)
    if off_session is not None and confirm is not True:
        raise UserError(400, "Bad request")
    obj = resources.StripeObject._api_create.__func__(cls, **data)
    obj._off_session = bool(off_session)
    if confirm:
        obj._confirm(on_failure_now=obj._report_failure)
    return obj


def _attach_pm(self, pm):
    _original_attach_pm(self, pm)
    if self.status == "succeeded" and self.usage == "off_session":
        pm._saved_off_session = True


def _setup_confirm_after_challenge(id, **kwargs):
    """`confirmCardSetup(secret)` after the bank's check: the SetupIntent is confirmed."""
    intent = resources.SetupIntent._api_retrieve(id)
    result = _original_setup_confirm(id, **kwargs)
    if result.status == "succeeded" and intent.usage == "off_session" and intent.payment_method:
        resources.PaymentMethod._api_retrieve(intent.payment_method)._saved_off_session = True
    return result


_original_setup_confirm = resources.SetupIntent._api_confirm

resources.PaymentIntent.__init__ = _init
resources.PaymentIntent._on_success = _on_success
resources.PaymentIntent._confirm = _confirm
resources.PaymentIntent._api_create = _api_create
resources.SetupIntent._attach_pm = _attach_pm
resources.extra_apis[:] = [
    (method, url, _setup_confirm_after_challenge if func == _original_setup_confirm else func)
    for method, url, func in resources.extra_apis]

from localstripe import server  # noqa: E402  (after the patches: it registers the routes)

PUBLIC_KEY_PATHS = (re.compile(r"^/v1/payment_methods$"),)

STRIPE_JS_ADDITIONS = r"""
// ---- payments/devstripe.py: what Stripe.js does and localstripe's copy leaves out ----
(function () {
  const localStripe = Stripe;
  Stripe = function (apiKey, options) {
    const stripe = localStripe(apiKey, options);
    async function post(url, body) {
      const response = await fetch(url, { method: 'POST', body: JSON.stringify(body) });
      const json = await response.json().catch(() => ({}));
      return { ok: response.status === 200 && !json.error, json: json };
    }
    stripe.createPaymentMethod = async (data) => {
      const element = data.card;
      if (!(element instanceof Element) || !element.value) {
        return { error: { type: 'validation_error', code: 'incomplete_number' } };
      }
      const result = await post(`${LOCALSTRIPE_BASE_API}/v1/payment_methods`, {
        key: apiKey, type: 'card', card: element.value.card,
        billing_details: { address: { postal_code: element.value.postal_code } },
      });
      return result.ok ? { paymentMethod: result.json } : { error: result.json.error };
    };
    const confirmCardSetup = stripe.confirmCardSetup;
    stripe.confirmCardSetup = async (clientSecret, data) => {
      if (data && data.payment_method) { return confirmCardSetup(clientSecret, data); }
      const seti = clientSecret.match(/^(seti_\w+)_secret_/)[1];
      const passed = await openModal('3D Secure\nDo you want to confirm or cancel?',
                                     'Complete authentication', 'Fail authentication');
      const result = await post(
        `${LOCALSTRIPE_BASE_API}/v1/setup_intents/${seti}/${passed ? 'confirm' : 'cancel'}`,
        { key: apiKey, use_stripe_sdk: true, client_secret: clientSecret });
      if (!result.ok) { return { error: result.json.error }; }
      if (result.json.status !== 'succeeded') {
        return { error: { type: 'invalid_request_error',
                          code: 'setup_intent_authentication_failure' } };
      }
      return { setupIntent: result.json };
    };
    return stripe;
  };
})();
"""


@server.web.middleware
async def _devstripe_middleware(request, handler):
    """Serve the completed Stripe.js; let the browser create PaymentMethods with the
    publishable key (as Stripe does); everything else goes to localstripe's checks."""
    if request.method == "GET" and request.path == "/js.stripe.com/v3/":
        response = server.localstripe_js(request)
        return server.web.Response(text=response.text + STRIPE_JS_ADDITIONS,
                                   content_type="application/javascript")
    if request.method == "POST" and any(p.match(request.path) for p in PUBLIC_KEY_PATHS):
        data = await server.get_post_data(request, remove_auth=False)
        if isinstance(data, dict) and str(data.get("key", "")).startswith("pk_"):
            return await handler(request)
    return await server.auth_middleware(request, handler)


def _install() -> None:
    middlewares = server.app.middlewares
    index = list(middlewares).index(server.auth_middleware)
    middlewares[index] = _devstripe_middleware


_install()

if __name__ == "__main__":
    server.start()
