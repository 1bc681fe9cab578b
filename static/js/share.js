// Share buttons: on a phone, the phone's own share sheet (WhatsApp, SMS, ...); elsewhere the wa.me link is followed.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-share-url]");
  if (!link || !navigator.share || !matchMedia("(pointer: coarse)").matches) return;
  event.preventDefault();
  navigator.share({ text: link.dataset.shareText, url: link.dataset.shareUrl }).catch(() => {});
});
