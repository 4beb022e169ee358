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
    if (!window.EventSource) { return; }
    var src = new EventSource(el.getAttribute("data-live"));
    src.addEventListener("update", function (e) { el.innerHTML = e.data; });
    src.addEventListener("expired", function () { src.close(); window.location.reload(); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live]").forEach(live);
  });
})();
