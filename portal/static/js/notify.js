// Browser notifications: subscribe this device with the VAPID public key, or unsubscribe.
(function () {
  "use strict";
  var box = document.getElementById("push");
  if (!box || !box.dataset.vapidKey) return;
  var on = document.getElementById("push-on"), off = document.getElementById("push-off");
  var status = document.getElementById("push-status");
  var texts = {};
  document.getElementById("push-texts").content.querySelectorAll("span").forEach(function (s) {
    texts[s.dataset.k] = s.textContent;
  });
  if (!("serviceWorker" in navigator) || !("PushManager" in window)) return;
  document.getElementById("push-unsupported").hidden = true;

  function keyBytes(base64) {
    var padded = (base64 + "===".slice((base64.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }
  function post(url, body) {
    return fetch(url, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": box.dataset.csrf },
      body: JSON.stringify(body) }).then(function (r) { if (!r.ok && r.status !== 404) throw r; });
  }
  function show(sub) {
    on.hidden = !!sub; off.hidden = !sub;
    status.textContent = sub ? texts.on : (Notification.permission === "denied" ? texts.denied : texts.off);
  }
  navigator.serviceWorker.register(box.dataset.swUrl, { scope: "/" }).then(function (reg) {
    reg.pushManager.getSubscription().then(show);
    on.addEventListener("click", function () {
      reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(box.dataset.vapidKey) })
        .then(function (sub) { return post(box.dataset.subscribeUrl, sub.toJSON()).then(function () { show(sub); }); })
        .catch(function () { status.textContent = Notification.permission === "denied" ? texts.denied : texts.error; });
    });
    off.addEventListener("click", function () {
      reg.pushManager.getSubscription().then(function (sub) {
        if (!sub) return show(null);
        return post(box.dataset.unsubscribeUrl, { endpoint: sub.endpoint })
          .then(function () { return sub.unsubscribe(); }).then(function () { show(null); });
      }).catch(function () { status.textContent = texts.error; });
    });
  });
})();
