// Tells the seller how many photos she picked (file inputs are hidden behind big buttons).
document.addEventListener("change", function (event) {
  if (event.target.name !== "photos") return;
  var count = 0;
  document.querySelectorAll("input[name=photos]").forEach(function (input) { count += input.files.length; });
  var note = document.querySelector("[data-photo-count]");
  if (note) note.textContent = (count === 1 ? note.dataset.one : note.dataset.many).replace("{n}", count);
});
