// Behaviour shared by every page. No inline scripts or event handlers: the Content-Security-Policy forbids them.
(function () {
  "use strict";
  // <select data-submit-on-change>: choosing an option submits its form (e.g. the operation switcher).
  document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();
