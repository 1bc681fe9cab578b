// The group's meeting on the book-keeper's phone.
// 1. The sheet: a member's amounts count only when she is marked as come; the total runs as amounts change, and the
//    cash counted at the end is checked against it before the one save.
// 2. No signal: the filled sheet is kept on this phone (localStorage) with its own key (client_key, made here for
//    each meeting) and sent by itself when the signal returns. The server saves a meeting once per key, so sending
//    it again (a retry, a second press) never records it twice.
"use strict";
(function () {
  var script = document.currentScript;
  var texts = script.dataset;
  var STORE = "haat-meetings";
  var sending = false;

  function kept() {
    try { return JSON.parse(localStorage.getItem(STORE) || "[]"); } catch (e) { return []; }
  }

  function keep(list) {
    try { localStorage.setItem(STORE, JSON.stringify(list)); } catch (e) { /* private mode: nothing kept */ }
  }

  function status(text, kind) {
    var box = document.querySelector("[data-meeting-status]");
    if (!box) {
      box = document.createElement("p");
      box.setAttribute("data-meeting-status", "");
      box.setAttribute("role", "status");
      var main = document.querySelector("main") || document.body;
      main.insertBefore(box, main.firstChild);
    }
    box.hidden = !text;
    box.textContent = text || "";
    box.className = "flash " + (kind === "error" ? "flash-error" : kind === "wait" ? "flash-wait" : "flash-success");
  }

  function mine() {
    return kept().filter(function (item) { return item.user === texts.user; });
  }

  function showWaiting() {
    var n = mine().length;
    if (n) status(n === 1 ? texts.waitingOne : texts.waitingMany.replace("{n}", n), "wait");
  }

  function freshToken(action) {
    // The token in the kept sheet may be from an older login: ask the page for today's.
    return fetch(action, { credentials: "same-origin" }).then(function (r) { return r.text(); }).then(function (html) {
      var found = /name="csrf_token" value="([^"]+)"/.exec(html);
      return found ? found[1] : null;
    });
  }

  function send() {
    var waiting = mine();
    if (sending || !waiting.length || navigator.onLine === false) return;
    sending = true;
    var item = waiting[0];
    freshToken(item.action).then(function (token) {
      var body = new URLSearchParams();
      item.fields.forEach(function (pair) {
        body.append(pair[0], pair[0] === "csrf_token" && token ? token : pair[1]);
      });
      return fetch(item.action, { method: "POST", body: body, credentials: "same-origin" });
    }).then(function (response) {
      return response.text().then(function (html) { return { response: response, html: html }; });
    }).then(function (answer) {
      var saved = answer.response.redirected && answer.response.url.indexOf("/cash-book") !== -1;
      if (saved) {
        keep(kept().filter(function (other) { return other.key !== item.key; }));
        status(texts.sent, "ok");
        sending = false;
        if (mine().length) send();
        return;
      }
      var reason = /class="flash flash-error"[^>]*>([^<]+)</.exec(answer.html);
      status(texts.problem + (reason ? " " + reason[1].trim() : ""), "error");
      sending = false;
    }).catch(function () {
      sending = false;
      showWaiting();
    });
  }

  window.addEventListener("online", send);
  showWaiting();
  send();

  var form = document.getElementById("meeting");
  if (!form) return;
  var money = new Intl.NumberFormat("en-IN", { style: "currency", currency: "INR" });

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function today() {
    var d = new Date();
    return d.getFullYear() + "-" + ("0" + (d.getMonth() + 1)).slice(-2) + "-" + ("0" + d.getDate()).slice(-2);
  }

  // A sheet opened fresh (perhaps from the copy kept for no signal) is a new meeting: a new key, today's date.
  if (!form.dataset.typed) {
    form.elements.client_key.value = newKey();
    form.elements.held_on.value = today();
  }

  function paise(text) {
    var value = Number(String(text || "").replace(/[,₹\s]/g, ""));
    return isFinite(value) && value > 0 ? Math.round(value * 100) : 0;
  }

  function sync(row) {
    var present = row.querySelector("input[type=checkbox]").checked;
    row.classList.toggle("is-present", present);
    row.querySelectorAll(".meet-amount input").forEach(function (input) { input.disabled = !present; });
  }

  function total() {
    var sum = 0;
    form.querySelectorAll(".meet-amount input:not([disabled])").forEach(function (input) { sum += paise(input.value); });
    document.getElementById("meet-total").textContent = money.format(sum / 100);
    var cash = document.getElementById("cash_counted");
    var check = document.getElementById("meet-check");
    if (!cash.value) { check.textContent = ""; return; }
    var same = paise(cash.value) === sum;
    check.textContent = same ? form.dataset.totalOk : form.dataset.totalOff;
    check.className = same ? "hint ok" : "hint error";
  }

  form.querySelectorAll(".meet-row").forEach(function (row) {
    sync(row);
    row.querySelector("input[type=checkbox]").addEventListener("change", function () { sync(row); total(); });
  });
  form.addEventListener("input", total);
  var all = document.getElementById("all-present");
  all.hidden = false;
  all.addEventListener("click", function () {
    form.querySelectorAll(".meet-row").forEach(function (row) {
      row.querySelector("input[type=checkbox]").checked = true;
      sync(row);
    });
    total();
  });
  total();

  form.addEventListener("submit", function (event) {
    if (navigator.onLine !== false) return; // with signal: the ordinary post, and the page that answers it
    event.preventDefault();
    var fields = [];
    new FormData(form).forEach(function (value, name) { fields.push([name, String(value)]); });
    var key = form.elements.client_key.value;
    var list = kept().filter(function (item) { return item.key !== key; }); // pressed twice: kept once
    list.push({ key: key, user: texts.user, action: form.action || location.pathname, fields: fields });
    keep(list);
    status(texts.saved, "wait");
    document.querySelector("[data-meeting-status]").scrollIntoView({ block: "center" });
  });
})();
