// "Ask us": send the form in the background and show the answer in the conversation.
// Without this file the form posts normally and the page shows the answer.
(function () {
  "use strict";
  var box = document.querySelector("[data-ask]");
  if (!box || !window.fetch || !window.FormData) { return; }
  var form = box.querySelector("[data-ask-form]");
  var log = box.querySelector("[data-ask-log]");
  var field = form.querySelector("textarea");
  var button = form.querySelector("button");

  function add(text, kind) {
    var item = document.createElement("li");
    item.className = kind;
    item.textContent = text;
    if (kind.indexOf("ask-a") === 0) { item.setAttribute("data-testid", "ask-answer"); }
    log.appendChild(item);
    return item;
  }

  form.addEventListener("submit", function (event) {
    var text = field.value.trim();
    if (!text) { return; }
    event.preventDefault();
    add(text, "ask-q");
    button.disabled = true;
    fetch(form.action, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      var data = result.data;
      add(result.ok ? data.text : data.error, result.ok && data.person ? "ask-a ask-person" : "ask-a");
      if (result.ok) { field.value = ""; }
    }).catch(function () {
      form.submit();
    }).then(function () {
      button.disabled = false;
      field.focus();
    });
  });
}());
