// Saldo service worker: shows Web Push notifications and opens the portal on tap.
self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = { body: event.data.text() }; }
  event.waitUntil(self.registration.showNotification(data.title || "Saldo", {
    body: data.body || "", icon: "/static/icons/icon-192.png", badge: "/static/icons/icon-192.png",
    data: { url: data.url || "/account" }, tag: data.tag || "saldo"
  }));
});
self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || "/account";
  event.waitUntil(clients.matchAll({ type: "window" }).then(function (list) {
    for (var i = 0; i < list.length; i++) {
      if (list[i].url.indexOf(url) !== -1 && "focus" in list[i]) return list[i].focus();
    }
    return clients.openWindow(url);
  }));
});
