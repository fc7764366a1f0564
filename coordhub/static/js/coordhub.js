// Behaviour shared by every page. No inline scripts or event handlers: the Content-Security-Policy forbids them.
(function () {
  "use strict";
  // <select data-submit-on-change>: choosing an option submits its form (e.g. the operation switcher).
  document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // A table wider than its card scrolls inside it: the keyboard must be able to reach and scroll it too, so the
  // scrolling box takes the focus (and is named after its table's caption or the heading above it) while it
  // scrolls, and only then.
  function scrollableTables() {
    document.querySelectorAll(".table-responsive").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        if (!box.hasAttribute("aria-label")) {
          var caption = box.querySelector("caption");
          var heading = caption ? null : (box.closest("section, .card, main") || document).querySelector("h1, h2, h3, .card-header");
          var name = (caption || heading || {}).textContent || document.title;
          box.setAttribute("aria-label", name.trim().replace(/\s+/g, " ").slice(0, 80));
        }
      } else if (box.getAttribute("tabindex") === "0") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
      }
    });
  }
  scrollableTables();
  var resizing = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizing);
    resizing = window.setTimeout(scrollableTables, 150);
  });
})();
