// Small page behaviours, kept out of the HTML so that the Content-Security-Policy allows no inline script.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  // "Copy BibTeX" on a dataset page, where the clipboard is available.
  var copy = document.getElementById("copy-citation");
  if (copy && navigator.clipboard) {
    copy.hidden = false;
    copy.addEventListener("click", function () {
      var status = copy.nextElementSibling;
      navigator.clipboard.writeText(document.getElementById("citation").textContent).then(
        function () { status.textContent = "Copied"; },
        function () { status.textContent = "Copy failed: select the text instead"; });
    });
  }
  // "Go back" on an error page (without a page to go back to, or without script, it leads home).
  document.querySelectorAll("a[data-back]").forEach(function (link) {
    if (window.history.length < 2) return;
    link.addEventListener("click", function (event) {
      event.preventDefault();
      window.history.back();
    });
  });
});
