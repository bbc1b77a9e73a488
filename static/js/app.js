/* Scorecard Cascade: the little behaviour the pages need. Loaded from our own static files (the CSP allows no
   inline script); every page works without it, this only adds conveniences. */
(function () {
  "use strict";

  function onReady(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  // Selects marked data-autosubmit send their form on change (the period pickers); the button stays for
  // keyboard users and for when scripts are off.
  function autosubmit() {
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () {
        if (select.form) { select.form.submit(); }
      });
    });
  }

  // The strategy map: status overlay on/off, highlight one theme. Both only toggle CSS classes on the frame
  // and on the renderer's <g class="objective theme-..."> groups.
  function mapControls() {
    var frame = document.querySelector("[data-map-frame]");
    if (!frame) { return; }
    var statusToggle = document.getElementById("toggle-status");
    if (statusToggle) {
      var applyStatus = function () { frame.classList.toggle("no-status", !statusToggle.checked); };
      statusToggle.addEventListener("change", applyStatus);
      applyStatus();
    }
    var themeSelect = document.getElementById("theme-select");
    if (themeSelect) {
      var applyTheme = function () {
        var wanted = themeSelect.value;
        frame.classList.toggle("theme-on", wanted !== "");
        frame.querySelectorAll("g.objective").forEach(function (g) {
          g.classList.toggle("theme-hit", wanted !== "" && g.classList.contains(wanted));
        });
      };
      themeSelect.addEventListener("change", applyTheme);
      applyTheme();
    }
  }

  // The print view's "Print" button (window.print needs a script; the browser menu works too).
  function printButton() {
    var button = document.getElementById("print-now");
    if (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    }
  }

  onReady(function () {
    autosubmit();
    mapControls();
    printButton();
  });
})();
