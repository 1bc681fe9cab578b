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
