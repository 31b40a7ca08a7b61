/* Saldo payment forms: card Element → SetupIntent → server-side charge → 3-D Secure.
 *
 * Every form with data-stripe-flow posts its fields to its action (the server computes the
 * amount and answers with a SetupIntent secret), confirms the card with Stripe.js, then posts
 * the SetupIntent id to the "confirm" URL it was given. A payment that needs 3-D Secure is
 * finished with confirmCardPayment and re-checked by the server. When the payment service
 * was unreachable, the next click retries the same payment (same idempotency key).
 */
(function () {
  "use strict";

  function setUp(form) {
    var stripe = window.Stripe(form.dataset.stripeKey, { locale: form.dataset.locale || "auto" });
    var card = stripe.elements().create("card");
    card.mount(form.querySelector(".card-element"));
    var errorBox = form.querySelector(".pay-error");
    var messages = JSON.parse(errorBox.dataset.messages || "{}");
    var kinds = JSON.parse(errorBox.dataset.kinds || "{}");
    var button = form.querySelector("button[type=submit]");
    var label = button.textContent;
    var csrf = form.querySelector("input[name=csrf_token]").value;
    var resume = null;

    // Stripe.js's own error text is English and sometimes technical: show ours instead.
    function stripeMessage(error) {
      var kind = kinds[error && error.decline_code] || kinds[error && error.code] ||
        (error && (error.code || error.decline_code) ? "declined" : "generic");
      if (error && error.type === "rate_limit_error") { kind = "rate_limited"; }
      return messages[kind] || messages.generic;
    }

    function show(message) {
      errorBox.textContent = message || messages.generic;
      errorBox.hidden = false;
      button.disabled = false;
      button.textContent = label;
      errorBox.setAttribute("tabindex", "-1");
      errorBox.focus();
    }

    async function post(url, fields) {
      var body = new FormData();
      Object.keys(fields).forEach(function (key) { body.append(key, fields[key]); });
      var response = await fetch(url, {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "X-CSRFToken": csrf, "Accept": "application/json" },
      });
      var json = {};
      try { json = await response.json(); } catch (err) { json = {}; }
      return { status: response.status, json: json };
    }

    async function finish(result) {
      if (result.json.status === "requires_action") {
        await stripe.confirmCardPayment(result.json.client_secret);  // the server reads the outcome
        return finish(await post(result.json.complete, {}));
      }
      if (result.json.redirect) {
        window.location.assign(result.json.redirect);
        return;
      }
      show(result.json.error);
    }

    async function start() {
      var fields = {};
      new FormData(form).forEach(function (value, key) { fields[key] = value; });
      var started = await post(form.action, fields);
      if (started.status !== 200) { show(started.json.error); return null; }
      var setup = await stripe.confirmCardSetup(started.json.client_secret,
                                                { payment_method: { card: card } });
      if (setup.error) {
        show(stripeMessage(setup.error));
        return null;
      }
      return { url: started.json.confirm, setupIntent: setup.setupIntent.id };
    }

    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      errorBox.hidden = true;
      button.disabled = true;
      button.textContent = form.dataset.working;
      try {
        resume = resume || await start();
        if (!resume) { return; }
        var result = await post(resume.url, { setup_intent: resume.setupIntent });
        if (result.status !== 503) { resume = null; }
        await finish(result);
      } catch (err) {
        show(messages.generic);
      }
    });

    form.querySelectorAll("input[name=choice]").forEach(function (radio) {
      radio.addEventListener("change", function () {
        var currency = form.querySelector("input[name=currency]");
        if (radio.dataset.currency && currency) { currency.value = radio.dataset.currency; }
      });
    });
  }

  document.querySelectorAll("form[data-stripe-flow]").forEach(setUp);
  document.querySelectorAll("input[name=amount]").forEach(function (input) {
    input.addEventListener("input", function () {  // typing an amount means "another amount"
      var radio = input.form.querySelector("input[name=choice][value=amount]");
      if (radio) { radio.checked = true; }
    });
  });
})();
