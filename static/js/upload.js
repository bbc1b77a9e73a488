/* The results upload page: send the file with XMLHttpRequest so that a <progress> bar can show the upload, then
   show the server's answer in place. Loaded from our own static files (the CSP allows no inline script).
   Without this script (or without FormData/XHR upload events) the form posts normally and works the same. */
(function () {
  "use strict";

  // Say the percentage to screen readers in steps of this many percent, not at every progress event.
  var ANNOUNCE_STEP = 10;

  function onReady(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  function megabytes(bytes) {
    return (bytes / (1024 * 1024)).toFixed(bytes >= 10 * 1024 * 1024 ? 0 : 1) + " MB";
  }

  // Rows of a CSV file, counted in the browser while the file uploads (a stream of bytes, never the whole
  // file in memory): lines minus the header. An XLSX workbook cannot be counted this way; done(null) then.
  function countRows(file, done) {
    if (!/\.csv$/i.test(file.name) || !file.stream) { done(null); return; }
    var reader = file.stream().getReader();
    var lines = 0;
    var last = 10;
    function pump() {
      reader.read().then(function (chunk) {
        if (chunk.done) {
          if (last !== 10) { lines += 1; }  // a last line without a line break
          done(Math.max(lines - 1, 0));
          return;
        }
        var bytes = chunk.value;
        for (var i = 0; i < bytes.length; i += 1) {
          if (bytes[i] === 10) { lines += 1; }
        }
        if (bytes.length) { last = bytes[bytes.length - 1]; }
        pump();
      }).catch(function () { done(null); });
    }
    pump();
  }

  function bind(form) {
    if (!form || !window.FormData || !window.XMLHttpRequest || !window.DOMParser) { return; }
    var xhrProbe = new XMLHttpRequest();
    if (!xhrProbe.upload) { return; }

    var input = form.querySelector("input[type=file]");
    var button = form.querySelector("button[type=submit]");
    var box = form.querySelector("[data-upload-progress]");
    var bar = box && box.querySelector("progress");
    var status = form.querySelector("#upload-status");
    var maxBytes = parseInt(form.getAttribute("data-max-bytes"), 10);
    if (!input || !button || !box || !bar || !status) { return; }

    function say(text) { status.textContent = text; }

    function busy(on) {
      button.disabled = on;
      form.setAttribute("aria-busy", on ? "true" : "false");
    }

    form.addEventListener("submit", function (event) {
      var file = input.files && input.files[0];
      if (!file) { return; }  // the server says "Choose a file", as without script
      if (maxBytes && file.size > maxBytes) {
        // Refused before sending: no point uploading megabytes the server will throw away.
        event.preventDefault();
        input.setAttribute("aria-invalid", "true");
        say("“" + file.name + "” (" + megabytes(file.size) + ") is larger than the " +
            form.getAttribute("data-max-mb") + " MB a results file may have: split it into several files.");
        input.focus();
        return;
      }
      event.preventDefault();
      send(file);
    });

    function send(file) {
      var rows = null;
      var uploaded = false;
      var announced = -ANNOUNCE_STEP;
      var xhr = new XMLHttpRequest();

      function processing() {
        // The bytes are all sent; the server now checks every row and writes them. No value: indeterminate.
        bar.removeAttribute("value");
        bar.textContent = "";
        box.setAttribute("data-state", "processing");
        say(rows === null ? "Checking and writing the rows…"
                          : "Checking and writing " + rows.toLocaleString("en-GB") + " row" + (rows === 1 ? "" : "s") + "…");
      }

      countRows(file, function (count) {
        rows = count;
        if (uploaded) { processing(); }  // the upload finished before the count: update the message
      });

      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) { return; }
        var percent = Math.floor(100 * e.loaded / e.total);
        bar.value = percent;
        bar.textContent = percent + "%";
        if (percent >= announced + ANNOUNCE_STEP && percent < 100) {
          announced = percent - (percent % ANNOUNCE_STEP);
          say("Uploading " + file.name + ": " + percent + "%");
        }
      });
      xhr.upload.addEventListener("load", function () {
        uploaded = true;
        bar.value = 100;
        processing();
      });
      xhr.addEventListener("load", function () { show(xhr); });
      xhr.addEventListener("error", function () {
        failed("The upload failed: the connection to the server was lost. Try again.");
      });

      xhr.open("POST", form.action || window.location.href);
      box.hidden = false;
      box.setAttribute("data-state", "uploading");
      bar.value = 0;
      bar.textContent = "0%";
      busy(true);
      say("Uploading " + file.name + ": 0%");
      xhr.send(new FormData(form));
    }

    function failed(text) {
      busy(false);
      box.hidden = true;
      box.removeAttribute("data-state");
      say(text);
    }

    function show(xhr) {
      var target = new URL(xhr.responseURL || form.action || window.location.href, window.location.href);
      var here = new URL(form.action || window.location.href, window.location.href);
      if (target.pathname !== here.pathname) {
        // Sent elsewhere (e.g. to sign in again): go there as the browser would have.
        window.location.assign(target.href);
        return;
      }
      var page = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var main = page.getElementById("main");
      var current = document.getElementById("main");
      if (!main || !current) {
        failed("The server answered " + xhr.status + " " + xhr.statusText + ". Reload the page and try again.");
        return;
      }
      // The answer is a page of this site (the same header): put its content in place of ours. After success
      // the server redirected here (POST/redirect/GET), so the address is the page's own again.
      document.title = page.title;
      current.replaceWith(document.adoptNode(main));
      if (target.href !== window.location.href) { window.history.replaceState(null, "", target.href); }
      var focus = document.getElementById("error-summary") || document.getElementById("main");
      if (focus) { focus.focus(); }
      bind(document.querySelector("form[data-upload]"));
    }
  }

  onReady(function () { bind(document.querySelector("form[data-upload]")); });
})();
