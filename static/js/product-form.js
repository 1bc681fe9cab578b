// Tells the seller how many photos she picked (file inputs are hidden behind big buttons). Counted when she
// picks them and once when this script arrives: on a slow phone she may pick them before it has loaded.
function showPhotoCount() {
  var count = 0;
  document.querySelectorAll("input[name=photos]").forEach(function (input) { count += input.files.length; });
  var note = document.querySelector("[data-photo-count]");
  if (note && count) note.textContent = (count === 1 ? note.dataset.one : note.dataset.many).replace("{n}", count);
}
document.addEventListener("change", function (event) {
  if (event.target.name === "photos") showPhotoCount();
});
showPhotoCount();

// A preview of each new photo, with a button that turns it a quarter clockwise: the turns go to the server in
// the hidden photo_turns field (in the order picked), which turns the photo itself (Pillow) when saving.
function showPreviews() {
  var list = document.querySelector("[data-photo-preview]");
  var turnsField = document.querySelector("input[name=photo_turns]");
  if (!list || !turnsField || !window.URL) return;
  var files = [];
  document.querySelectorAll("input[type=file][name=photos]").forEach(function (input) {
    for (var i = 0; i < input.files.length; i += 1) files.push(input.files[i]);
  });
  list.querySelectorAll("img").forEach(function (img) { URL.revokeObjectURL(img.src); });
  list.textContent = "";
  var turns = files.map(function () { return 0; });
  turnsField.value = turns.join(",");
  list.hidden = !files.length;
  files.forEach(function (file, index) {
    var item = document.createElement("li");
    var frame = document.createElement("span");
    frame.className = "frame";
    var img = document.createElement("img");
    img.src = URL.createObjectURL(file);
    img.alt = list.dataset.photo.replace("{n}", index + 1);
    img.width = 96;
    img.height = 96;
    frame.append(img);
    var turn = document.createElement("button");
    turn.type = "button";
    turn.className = "button secondary small";
    turn.textContent = "\u21bb " + list.dataset.turn;
    turn.setAttribute("aria-label", list.dataset.turn + ": " + img.alt);
    turn.addEventListener("click", function () {
      turns[index] = (turns[index] + 90) % 360;
      img.style.transform = "rotate(" + turns[index] + "deg)";
      turnsField.value = turns.join(",");
    });
    item.append(frame, turn);
    list.append(item);
  });
}
document.addEventListener("change", function (event) {
  if (event.target.name === "photos") showPreviews();
});
showPreviews();
