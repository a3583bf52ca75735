// Keyboard shortcuts of the console: "/" focuses the search box of every page, Escape leaves
// a field.
// (No inline script anywhere: the Content-Security-Policy forbids it.)
document.addEventListener("keydown", function (event) {
  var target = event.target;
  var typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT");
  if (event.key === "/" && !typing) {
    var search = document.getElementById("find");
    if (search) {
      event.preventDefault();
      search.focus();
    }
  } else if (event.key === "Escape" && typing) {
    target.blur();
  }
});
