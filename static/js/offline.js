// For sellers: the service worker (the shell and her pages open without signal), and products listed with no
// signal, kept on the phone (IndexedDB, photos included) and sent once when the signal returns. Each draft has
// an id made here (client_key): the server saves a product once per id, however often it is sent.
(function () {
  "use strict";
  var script = document.currentScript;
  var texts = script.dataset;
  var user = texts.user;
  var DB = "haat-drafts", STORE = "drafts";
  var sending = false;

  // Another seller on this phone (a shared phone): the pages kept for the one before are dropped.
  try {
    if (localStorage.getItem("haat-user") !== user) {
      if (window.caches) caches.keys().then(function (names) {
        names.filter(function (n) { return n.indexOf("haat-pages") === 0; }).forEach(function (n) { caches.delete(n); });
      });
      localStorage.setItem("haat-user", user);
    }
  } catch (e) { /* private mode: nothing kept anyway */ }

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(texts.worker, { scope: "/" }).catch(function () { /* works without it */ });
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function store(mode, work) {
    return new Promise(function (resolve, reject) {
      var opening = indexedDB.open(DB, 1);
      opening.onupgradeneeded = function () { opening.result.createObjectStore(STORE, { keyPath: "key" }); };
      opening.onerror = function () { reject(opening.error); };
      opening.onsuccess = function () {
        var tx = opening.result.transaction(STORE, mode);
        var request = work(tx.objectStore(STORE));
        tx.oncomplete = function () { resolve(request && request.result); };
        tx.onerror = function () { reject(tx.error); };
      };
    });
  }
  function drafts() {  // hers only: on a shared phone another seller's drafts wait for her
    return store("readonly", function (s) { return s.getAll(); }).then(function (all) {
      return all.filter(function (d) { return d.user === user; });
    });
  }
  function keep(draft) { return store("readwrite", function (s) { return s.put(draft); }); }
  function forget(key) { return store("readwrite", function (s) { return s.delete(key); }); }

  function say(text, n) {
    var note = document.querySelector("[data-drafts-status]");
    if (!note) return;
    note.textContent = text.replace("{n}", n);
    note.hidden = false;
  }

  function showWaiting() {
    return drafts().then(function (all) {
      var waiting = all.filter(function (d) { return !d.problem; }).length;
      var problems = all.length - waiting;
      if (waiting) say(waiting === 1 ? texts.waitingOne : texts.waitingMany, waiting);
      if (problems) say(texts.problem, problems);
      var open = document.querySelector("[data-open-draft]");
      if (open) open.hidden = !problems;
    });
  }

  // The "Add a product" form: a copy is kept on the phone before it is sent, so that no signal (or a signal
  // that drops while sending) loses nothing; the page that says "Saved" drops the copy (data-saved-key).
  var settled = Promise.resolve(); // drafts dropped on this page before anything is sent
  var form = document.querySelector("form[data-offline-draft]");
  if (form) {
    var key = form.querySelector("input[name=client_key]");
    if (key.value) settled = forget(key.value); // the form came back with a problem to fix: on screen, not waiting
    else key.value = newKey();
    window.addEventListener("pageshow", function (event) { if (event.persisted) key.value = newKey(); });
    form.addEventListener("submit", function (event) {
      if (form.dataset.kept === key.value) return; // kept already: now it goes
      event.preventDefault();
      var fields = [];
      new FormData(form).forEach(function (value, name) {
        if (name === "csrf_token" || (value instanceof File && !value.name)) return;
        fields.push([name, value]);
      });
      var submitter = event.submitter;
      if (submitter && submitter.name) fields.push([submitter.name, submitter.value]);
      keep({ key: key.value, user: user, fields: fields, saved: Date.now() }).catch(function () {}).then(function () {
        if (navigator.onLine) {
          form.dataset.kept = key.value;
          form.requestSubmit(submitter);
          return;
        }
        form.reset();
        key.value = newKey();
        window.scrollTo(0, 0);
        say(texts.saved, 1);
      });
    });
    var open = document.querySelector("[data-open-draft]");
    if (open) open.addEventListener("click", function () { reopen(form, key); });
  }
  var saved = document.querySelector("[data-saved-key]");
  if (saved && saved.dataset.savedKey) settled = forget(saved.dataset.savedKey);

  // A draft the server refused (a field to fix): back into the form, photos included, with its id.
  function reopen(form, key) {
    drafts().then(function (all) {
      var draft = all.filter(function (d) { return d.problem; })[0];
      if (!draft) return;
      var photos = new DataTransfer();
      draft.fields.forEach(function (pair) {
        var name = pair[0], value = pair[1];
        if (value instanceof File) { photos.items.add(value); return; }
        var inputs = form.querySelectorAll("[name='" + name + "']");
        inputs.forEach(function (input) {
          if (input.type === "checkbox" || input.type === "radio") input.checked = input.value === value;
          else if (input.type !== "file" && input.type !== "submit") input.value = value;
        });
      });
      var fileInput = form.querySelector("input[type=file][name=photos]");
      if (fileInput && photos.files.length) fileInput.files = photos.files;
      key.value = draft.key; // kept on the phone until the server has it
      say(texts.reopened, 1);
    });
  }

  // Send what waits on the phone, one by one, with a fresh form token.
  function send() {
    if (sending) return;
    if (!navigator.onLine) return showWaiting();
    drafts().then(function (all) {
      var waiting = all.filter(function (d) { return !d.problem; });
      if (!waiting.length) return showWaiting();
      sending = true;
      var sent = 0;
      return fetch(texts.newUrl, { credentials: "same-origin" })
        .then(function (r) { return r.text(); })
        .then(function (html) {
          var token = new DOMParser().parseFromString(html, "text/html").querySelector("input[name=csrf_token]");
          return waiting.reduce(function (done, draft) {
            return done.then(function () {
              var body = new FormData();
              draft.fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
              body.set("client_key", draft.key);
              body.delete("user");
              if (token) body.set("csrf_token", token.value);
              return fetch(texts.newUrl, { method: "POST", body: body, credentials: "same-origin" }).then(function (r) {
                if (r.redirected && /\/seller\/products\/\d+\/edit/.test(r.url)) { sent += 1; return forget(draft.key); }
                if (r.status === 200) { draft.problem = true; return keep(draft); } // a field to fix
              });
            });
          }, Promise.resolve());
        })
        .catch(function () { /* the signal went again: they wait for the next time */ })
        .then(function () {
          sending = false;
          if (sent) say(sent === 1 ? texts.sentOne : texts.sentMany, sent);
          else showWaiting();
          if (sent) document.dispatchEvent(new CustomEvent("haat:drafts-sent", { detail: sent }));
        });
    });
  }

  window.addEventListener("online", send);
  if ("indexedDB" in window) settled.catch(function () {}).then(send);

  // Logging out: her cached pages leave the phone's cache with her.
  document.addEventListener("submit", function (event) {
    if (!/\/auth\/logout$/.test(event.target.action) || !window.caches) return;
    caches.keys().then(function (names) {
      names.filter(function (n) { return n.indexOf("haat-pages") === 0; }).forEach(function (n) { caches.delete(n); });
    });
  });
})();
