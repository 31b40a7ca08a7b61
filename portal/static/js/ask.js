// "Ask us": send the question without leaving the page and show the answer in place.
// Without JavaScript the form posts to /ask and the answer comes back on its own page.
(function () {
  "use strict";
  var form = document.querySelector("form[data-ask]");
  if (!form || !window.fetch) return;
  var out = form.parentNode.querySelector("[data-ask-answer]");
  var field = form.querySelector("textarea");
  var button = form.querySelector("button");
  function say(question, html) {
    var item = document.createElement("div");
    item.className = "ask-pair";
    var q = document.createElement("p");
    q.className = "asked";
    q.textContent = question;
    var a = document.createElement("p");
    a.className = "ask-reply";
    a.setAttribute("data-testid", "ask-answer");
    a.innerHTML = html; // escaped by the server; only links to the portal's own pages
    item.appendChild(q);
    item.appendChild(a);
    out.textContent = "";
    out.appendChild(item);
  }
  form.addEventListener("submit", function (event) {
    var question = field.value.trim();
    if (!question) return; // the server says what is missing
    event.preventDefault();
    button.disabled = true;
    out.textContent = out.dataset.wait;
    fetch(form.action, {
      method: "POST", credentials: "same-origin", body: new FormData(form),
      headers: { "Accept": "application/json" }
    }).then(function (r) {
      if (!r.ok) throw r;
      return r.json();
    }).then(function (data) {
      say(question, data.html);
      field.value = "";
    }).catch(function () {
      out.textContent = out.dataset.error;
    }).then(function () {
      button.disabled = false;
      field.focus();
    });
  });
})();
