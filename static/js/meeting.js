// Today's meeting: a member's amounts count only when she is marked as come; the total runs as amounts change,
// and the cash counted at the end is checked against it before the one save.
"use strict";
(function () {
  var form = document.getElementById("meeting");
  if (!form) return;
  var money = new Intl.NumberFormat("en-IN", { style: "currency", currency: "INR" });

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
})();
