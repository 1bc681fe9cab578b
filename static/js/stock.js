// Her products list: + and - change the stock without leaving the page. Without this script each button is a
// plain form POST that comes back to the list.
document.querySelectorAll("form.stock").forEach((form) => {
  form.addEventListener("submit", async (event) => {
    const button = event.submitter;
    if (!button || !window.fetch) return;
    event.preventDefault();
    const body = new FormData(form);
    body.set("change", button.value);
    const buttons = form.querySelectorAll("button");
    buttons.forEach((b) => { b.disabled = true; });
    try {
      const answer = await fetch(form.action, { method: "POST", body, headers: { Accept: "application/json" },
                                               credentials: "same-origin" });
      const data = await answer.json();
      const count = form.querySelector(".count");
      if (answer.ok) {
        count.textContent = data.stock;
        const row = form.closest(".product-row");
        const total = row && row.querySelector("[data-total-stock]");
        if (total) {
          let sum = 0;
          row.querySelectorAll(".stock .count").forEach((c) => { sum += Number(c.textContent) || 0; });
          total.textContent = sum.toLocaleString("en-IN");
        }
      }
      else if (data.error) window.alert(data.error);
      buttons.forEach((b) => { b.disabled = b.value === "less" && count.textContent === "0"; });
    } catch (error) { // no answer as JSON: the plain form does it
      const change = document.createElement("input");
      Object.assign(change, { type: "hidden", name: "change", value: button.value });
      form.append(change);
      form.submit();
    }
  });
});
