// Re-price at once when the buyer changes how an order reaches her (without JS, "Check total" does it).
document.addEventListener("change", function (event) {
  if (!event.target.name || event.target.name.indexOf("delivery-") !== 0) return;
  var recheck = document.querySelector("[data-recheck]");
  if (recheck) recheck.click();
});
