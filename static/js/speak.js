// "Listen" buttons: the phone's own text-to-speech reads a short instruction aloud in the page's language.
// Shown only where the browser has a voice for that language (Android's Chrome has them for Indian languages).
(function () {
  "use strict";
  if (!("speechSynthesis" in window)) return;
  var lang = document.documentElement.lang || "en-IN";
  var base = lang.split("-")[0].toLowerCase();

  function hasVoice() {
    return speechSynthesis.getVoices().some(function (v) { return v.lang.toLowerCase().split(/[-_]/)[0] === base; });
  }
  function show() {
    if (!hasVoice()) return;
    document.querySelectorAll("button.speak[hidden]").forEach(function (b) { b.hidden = false; });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.speak");
    if (!button) return;
    speechSynthesis.cancel();
    var words = new SpeechSynthesisUtterance(button.dataset.say);
    words.lang = lang.indexOf("-") > 0 ? lang : lang + "-IN";
    words.rate = 0.9;
    speechSynthesis.speak(words);
  });
  show();
  speechSynthesis.addEventListener("voiceschanged", show);
})();
