/* Saldo payment forms: one bank check per payment.
 *
 * "pay" and "plan" forms: Stripe.js turns the card Element into a PaymentMethod (the card
 * number goes to Stripe only), the form's fields go to its action (the server computes the
 * amount and answers with a "confirm" URL), and the PaymentMethod goes to that URL: the
 * server creates and confirms one PaymentIntent with it. When the bank wants its check
 * (3-D Secure), Stripe.js shows it once (confirmCardPayment, or confirmCardSetup for a card
 * saved for a plan that starts later) and the server reads the outcome at "complete".
 * "card" forms (replacing a plan's card) confirm a SetupIntent with the card Element.
 * When the payment service was unreachable, the next click retries the same payment.
 * Every message shown comes from the page (data-messages, in the debtor's language): never
 * Stripe's own text.
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
      var json = result.json;
      if (json.status === "requires_action") {  // the bank's check, once
        if (json.action === "setup") {
          await stripe.confirmCardSetup(json.client_secret);
          return finish(await post(json.complete,
                                   { setup_intent: json.client_secret.split("_secret_")[0] }));
        }
        await stripe.confirmCardPayment(json.client_secret);  // the server reads the outcome
        return finish(await post(json.complete, {}));
      }
      if (json.redirect) {
        window.location.assign(json.redirect);
        return;
      }
      show(json.error);
    }

    async function startWithSetupIntent(fields) {
      var started = await post(form.action, fields);
      if (started.status !== 200) { show(started.json.error); return null; }
      var setup = await stripe.confirmCardSetup(started.json.client_secret,
                                                { payment_method: { card: card } });
      if (setup.error) { show(stripeMessage(setup.error)); return null; }
      return { url: started.json.confirm, fields: { setup_intent: setup.setupIntent.id } };
    }

    async function start() {
      var fields = {};
      new FormData(form).forEach(function (value, key) { fields[key] = value; });
      if (form.dataset.stripeFlow === "card") { return startWithSetupIntent(fields); }
      var created = await stripe.createPaymentMethod({ type: "card", card: card });
      if (created.error) { show(stripeMessage(created.error)); return null; }
      var started = await post(form.action, fields);
      if (started.status !== 200) { show(started.json.error); return null; }
      return { url: started.json.confirm,
               fields: { payment_method: created.paymentMethod.id,
                         save_card: fields.save_card === "1" ? "1" : "0" } };
    }

    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      errorBox.hidden = true;
      button.disabled = true;
      button.textContent = form.dataset.working;
      try {
        resume = resume || await start();
        if (!resume) { return; }
        var result = await post(resume.url, resume.fields);
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
