// salonbox back office: the few lines htmx does not do. No framework, no outside requests.
(function () {
  "use strict";
  // The CSRF token of this page goes with every htmx request (forms also carry it).
  document.addEventListener("htmx:configRequest", function (e) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) { e.detail.headers["X-CSRF-Token"] = meta.content; }
  });
  // Live parts (the Today page's queue): server-sent events replace the part's content.
  function live(el) {
    if (!window.EventSource) {
      // a browser without server-sent events (some in-app browsers): ask every 10 s
      var part = el.getAttribute("data-poll");
      if (!part) { return; }
      setInterval(function () {
        fetch(part, { credentials: "same-origin", headers: { "HX-Request": "true" } }).then(function (r) {
          if (r.redirected || r.status === 401 || r.status === 403) { window.location.reload(); return; }
          if (r.ok) { r.text().then(function (t) { el.innerHTML = t; }); }
        });
      }, 10000);
      return;
    }
    var src = new EventSource(el.getAttribute("data-live"));
    src.addEventListener("update", function (e) { el.innerHTML = e.data; });
    src.addEventListener("expired", function () { src.close(); window.location.reload(); });
  }
  function token() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }
  // The appointment book: drag a block onto a free slot to move it; the server checks
  // every rule, and a refusal is shown where the block was dropped.
  function book(grid) {
    var dragged = null;
    grid.addEventListener("dragstart", function (e) {
      var a = e.target.closest && e.target.closest(".appt");
      if (!a) { return; }
      dragged = a;
      a.classList.add("dragging");
      e.dataTransfer.setData("text/plain", a.getAttribute("data-id"));
    });
    grid.addEventListener("dragend", function () { if (dragged) { dragged.classList.remove("dragging"); } });
    grid.addEventListener("dragover", function (e) { if (e.target.closest && e.target.closest("a.slot")) { e.preventDefault(); } });
    grid.addEventListener("drop", function (e) {
      var slot = e.target.closest && e.target.closest("a.slot");
      if (!slot || !dragged) { return; }
      e.preventDefault();
      var u = new URL(slot.href);
      var body = new URLSearchParams();
      body.set("start", u.searchParams.get("start"));
      // a room's column keeps the beautician; the server keeps the room if it is free
      body.set("staff", u.searchParams.get("staff") || dragged.getAttribute("data-staff"));
      body.set("seen", dragged.getAttribute("data-seen"));
      fetch("/appointments/" + dragged.getAttribute("data-id") + "/move", {
        method: "POST", credentials: "same-origin", body: body,
        headers: { "X-CSRF-Token": token(), "HX-Request": "true" }
      }).then(function (r) {
        return r.text().then(function (t) {
          if (r.ok) { window.location.reload(); return; }
          var old = grid.querySelector(".drop-refusal");
          if (old) { old.remove(); }
          var note = document.createElement("div");
          note.className = "drop-refusal " + slot.className.split(" ").filter(function (c) { return /^[rc]\d+$/.test(c); }).join(" ");
          note.setAttribute("role", "alert");
          note.textContent = t;
          grid.appendChild(note);
        });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live]").forEach(live);
    var grid = document.getElementById("book");
    if (grid) { book(grid); }
    // the roster: drag this week onto "copy to next week" (the button does the same)
    var drag = document.getElementById("drag-week");
    var drop = document.getElementById("copy-week-button");
    if (drag && drop) {
      drag.addEventListener("dragstart", function (e) { e.dataTransfer.setData("text/plain", "week"); });
      drop.addEventListener("dragover", function (e) { e.preventDefault(); drop.classList.add("over"); });
      drop.addEventListener("dragleave", function () { drop.classList.remove("over"); });
      drop.addEventListener("drop", function (e) { e.preventDefault(); drop.form.requestSubmit ? drop.form.requestSubmit() : drop.form.submit(); });
    }
    // the print view's button (no inline handlers: the CSP allows none)
    document.querySelectorAll("[data-print]").forEach(function (b) {
      b.addEventListener("click", function () { window.print(); });
    });
  });
})();
