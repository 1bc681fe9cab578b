// Razorpay Checkout: UPI first, as an app (intent) on a phone and as a QR code on a computer; never "collect".
(function () {
  const button = document.querySelector("[data-razorpay]");
  if (!button) return;
  const options = JSON.parse(button.dataset.razorpay);
  const phone = window.matchMedia("(pointer: coarse)").matches;
  options.config = {
    display: {
      blocks: { upi: { name: "UPI", instruments: [{ method: "upi", flows: phone ? ["intent"] : ["qr"] }] } },
      sequence: ["block.upi"],
      preferences: { show_default_blocks: true },
      hide: [{ method: "upi", flows: ["collect"] }],
    },
  };
  function open() { new window.Razorpay(options).open(); }
  button.addEventListener("click", function () {
    if (window.Razorpay) return open();
    button.disabled = true;
    const script = document.createElement("script");
    script.src = button.dataset.script;
    script.onload = function () { button.disabled = false; open(); };
    script.onerror = function () { button.disabled = false; };
    document.head.appendChild(script);
  });
})();
