// Small progressive enhancements; every page works without JavaScript.
(function () {
  "use strict";
  // Confirm destructive buttons (data-confirm="…").
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
  // Saved replies: choosing one fills the reply box (data-fill="<textarea id>").
  document.addEventListener("change", function (event) {
    var picker = event.target.closest("select[data-fill]");
    var box = picker && document.getElementById(picker.getAttribute("data-fill"));
    if (box && picker.value) { box.value = picker.value; box.focus(); }
  });
  // Live template preview: re-render after typing stops (the server does the rendering).
  var form = document.querySelector("form[data-live-preview]");
  if (form) {
    var timer = null;
    form.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        var data = new FormData(form);
        data.set("action", "preview");
        fetch(form.getAttribute("data-live-preview"), { method: "POST", body: data,
          headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
          .then(function (r) { return r.text(); })
          .then(function (html) {
            var target = document.getElementById("preview");
            if (target) { target.innerHTML = html; }
          });
      }, 400);
    });
  }
})();
