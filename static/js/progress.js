// A long job's page (bulk listing, bulk onboarding): fetch it again every 2 seconds and put the new progress in
// place (an aria-live region, so a screen reader hears it), until the job has finished. No page reloads.
(function () {
  "use strict";
  function poll() {
    var region = document.querySelector("[data-progress]");
    if (!region || !region.hasAttribute("data-running")) return;
    setTimeout(function () {
      fetch(location.href, { credentials: "same-origin" }).then(function (r) { return r.text(); }).then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-progress]");
        if (!fresh) return;
        region.innerHTML = fresh.innerHTML;
        if (!fresh.hasAttribute("data-running")) region.removeAttribute("data-running");
        poll();
      }).catch(poll);
    }, 2000);
  }
  poll();
})();
