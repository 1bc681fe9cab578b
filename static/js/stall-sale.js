// A stall sale: find the product by typing (the list narrows as she types), and the amount fills itself from the
// product's price times how many, until she writes her own. Without this script the plain list still works.
(() => {
  const select = document.getElementById("variant");
  const search = document.getElementById("product-search");
  const amount = document.getElementById("amount");
  const quantity = document.getElementById("quantity");
  if (!select || !search || !amount) return;
  search.closest(".product-search").hidden = false;
  const options = [...select.options];
  const count = document.getElementById("product-search-count");
  const fold = (text) => text.toLocaleLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
  let filled = amount.value === "" ? "" : null; // the amount we wrote; null once she wrote her own

  search.addEventListener("input", () => {
    const words = fold(search.value).split(/\s+/).filter(Boolean);
    let shown = 0;
    let first = null;
    options.forEach((option) => {
      const match = option.value === "0" || words.every((w) => fold(option.text).includes(w));
      option.hidden = !match;
      option.disabled = !match;
      if (match && option.value !== "0") { shown += 1; first = first || option; }
    });
    count.textContent = words.length && !shown ? search.dataset.none : "";
    const current = select.selectedOptions[0];
    if (words.length && first && (!current || current.value === "0" || current.hidden)) {
      select.value = first.value; // the best match is chosen; she can pick another below
      fill();
    }
    if (words.length && shown) select.size = Math.min(shown + 1, 6); else select.removeAttribute("size");
  });

  function fill() {
    const option = select.selectedOptions[0];
    if (!option || !option.dataset.price || filled === null) return;
    const pieces = Math.max(parseInt(quantity && quantity.value, 10) || 1, 1);
    const paise = Number(option.dataset.price) * pieces;
    filled = (paise / 100).toFixed(2).replace(/\.00$/, "");
    amount.value = filled;
  }

  select.addEventListener("change", fill);
  if (quantity) quantity.addEventListener("input", fill);
  amount.addEventListener("input", () => { filled = amount.value === "" ? "" : null; });
})();
