// Haat's service worker (served at /sw.js by market.views): the shell and a seller's main pages open with no
// signal. Static files (their URLs carry a version) come from the cache first; pages from the network first,
// falling back to the copy kept when she last opened them, or to the offline page.
"use strict";
var SHELL = {{ shell_files|tojson }};
var OFFLINE = {{ offline|tojson }};
var ICON = {{ icon|tojson }};
var KEPT_PAGES = {{ kept_pages|tojson }};
var KEPT_PATTERNS = [/^\/groups\/\d+\/meeting$/]; // a book-keeper's meeting sheet opens at the meeting, signal or not
var STATIC = "haat-static-{{ version }}", PAGES = "haat-pages-{{ version }}";
var PATIENCE = 10000; // ms: a page that has not come by then, on a signal that only seems to be there, comes
                      // from what was kept (if anything was)

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC).then(function (cache) { return cache.addAll(SHELL.concat([OFFLINE])); })
    .then(function () { return self.skipWaiting(); }));
});

function kept(request) {
  return caches.match(request, { ignoreSearch: true });
}

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== STATIC && n !== PAGES; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    var network = fetch(request).then(function (response) {
      var keep = KEPT_PAGES.indexOf(url.pathname) !== -1 ||
        KEPT_PATTERNS.some(function (pattern) { return pattern.test(url.pathname); });
      if (response.ok && keep) {
        var copy = response.clone();
        caches.open(PAGES).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    });
    var slow = new Promise(function (resolve) { setTimeout(resolve, PATIENCE); }).then(function () {
      return kept(request).then(function (copy) { return copy || network; });
    });
    event.respondWith(Promise.race([network, slow]).catch(function () {
      return kept(request).then(function (copy) { return copy || caches.match(OFFLINE); });
    }));
  } else if (url.pathname.indexOf("/static/") === 0 && url.searchParams.has("v")) {
    event.respondWith(caches.match(request).then(function (copy) {
      return copy || fetch(request).then(function (response) {
        if (response.ok) {
          var copy = response.clone();
          caches.open(STATIC).then(function (cache) { cache.put(request, copy); });
        }
        return response;
      });
    }));
  }
});

// Alerts on her phone (web push): the server's message, decrypted by the browser, is shown as a notification.
// The same tag twice (a message sent again) replaces the first instead of ringing twice.
self.addEventListener("push", function (event) {
  var alert = {};
  try { alert = event.data ? event.data.json() : {}; } catch (e) { /* not ours: show the name only */ }
  event.waitUntil(self.registration.showNotification(alert.title || "Haat", {
    body: alert.body || "", tag: alert.tag, lang: alert.lang, icon: ICON, badge: ICON,
    data: { url: alert.url || "/" }
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = new URL(event.notification.data && event.notification.data.url || "/", self.location.origin);
  if (url.origin !== self.location.origin) url = new URL("/", self.location.origin);
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (open) {
    for (var i = 0; i < open.length; i++) {
      if (open[i].url === url.href && "focus" in open[i]) return open[i].focus();
    }
    return self.clients.openWindow(url.href);
  }));
});
