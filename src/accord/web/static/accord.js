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
  // Anonymisation review: drag on the original to add a box to blur. The boxes go into the form's textarea, in
  // the original's pixels, so the same form works (typed by hand) without script.
  document.querySelectorAll(".box-draw").forEach(function (area) {
    var canvas = area.querySelector("canvas");
    var text = area.parentElement.querySelector("textarea[name=boxes]");
    var img = new Image();
    var start = null;
    function boxes() {
      return text.value.split("\n").map(function (line) {
        return line.split(/[\s,]+/).filter(Boolean).map(Number);
      }).filter(function (b) { return b.length === 4 && b.every(isFinite); });
    }
    function draw(extra) {
      var ctx = canvas.getContext("2d");
      var k = canvas.width / img.naturalWidth;
      ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
      ctx.lineWidth = 2;
      ctx.strokeStyle = "#d11";
      boxes().concat(extra ? [extra] : []).forEach(function (b) {
        ctx.strokeRect(b[0] * k, b[1] * k, (b[2] - b[0]) * k, (b[3] - b[1]) * k);
      });
    }
    function at(event) {
      var rect = canvas.getBoundingClientRect();
      var k = img.naturalWidth / rect.width;
      return [Math.round((event.clientX - rect.left) * k), Math.round((event.clientY - rect.top) * k)];
    }
    function box(a, b) {
      return [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[0], b[0]), Math.max(a[1], b[1])];
    }
    img.onload = function () {
      canvas.width = Math.min(img.naturalWidth, 640);
      canvas.height = Math.round(canvas.width * img.naturalHeight / img.naturalWidth);
      area.hidden = false;
      draw();
    };
    canvas.addEventListener("pointerdown", function (e) { start = at(e); canvas.setPointerCapture(e.pointerId); });
    canvas.addEventListener("pointermove", function (e) { if (start) draw(box(start, at(e))); });
    canvas.addEventListener("pointerup", function (e) {
      if (!start) return;
      var b = box(start, at(e));
      start = null;
      if (b[2] - b[0] >= 4 && b[3] - b[1] >= 4) {
        text.value = (text.value.trim() ? text.value.trim() + "\n" : "") + b.join(", ");
      }
      draw();
    });
    text.addEventListener("input", function () { draw(); });
    area.querySelector("[data-clear]").addEventListener("click", function () { text.value = ""; draw(); });
    img.src = area.dataset.src;
  });
});
