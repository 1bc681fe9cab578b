// "Turn on alerts on this phone" (her account page): the phone's permission to show notifications, the service
// worker (/sw.js, which shows the alerts), a push subscription made by the browser's own push service with the
// server's VAPID public key, sent to the server for this login. In the demo, a browser whose push service cannot
// be reached (no network, headless) takes a subscription from the demo's push service instead.
(function () {
  "use strict";
  var script = document.currentScript;
  var texts = script.dataset;
  var box = script.closest("section");
  var button = box.querySelector("[data-push-on]");
  var status = box.querySelector("[data-push-status]");

  if (!("serviceWorker" in navigator && "PushManager" in window && "Notification" in window)) {
    box.querySelector("[data-push-unsupported]").hidden = false;
    return;
  }
  button.hidden = false;

  function say(text) { status.textContent = text; }

  function keyBytes(text) {
    var raw = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", "X-CSRFToken": texts.csrf }
    }).then(function (response) {
      if (!response.ok) throw new Error("refused");
      return response.json();
    });
  }

  function subscribe(registration) {
    var options = { userVisibleOnly: true, applicationServerKey: keyBytes(texts.key) };
    return registration.pushManager.getSubscription().then(function (old) {
      // A subscription made for another key (the server's key changed) cannot be used: make a new one.
      return old ? old.unsubscribe() : null;
    }).then(function () {
      return registration.pushManager.subscribe(options);
    }).then(function (subscription) {
      return subscription.toJSON();
    }, function (error) {
      if (!texts.demo) throw error;
      return post(texts.demo, {});
    });
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    say(texts.waiting);
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") throw new Error("blocked");
      return navigator.serviceWorker.register(texts.worker, { scope: "/" });
    }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(subscribe).then(function (subscription) {
      return post(texts.save, subscription);
    }).then(function () {
      window.location.replace(window.location.pathname + "#alerts");
      window.location.reload();
    }).catch(function (error) {
      button.disabled = false;
      say(error && error.message === "blocked" ? texts.blocked : texts.failed);
    });
  });
})();
