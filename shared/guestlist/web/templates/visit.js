(function () {
  "use strict";
  // Record the visit only when a real browser runs the page: mail scanners that
  // prefetch the link do not execute scripts. The URL comes from the address bar,
  // so the token is not repeated in the page.
  var path = window.location.pathname.replace(/\/+$/, "").replace(/\/bookings$/, "") + "/visit";
  if (window.location.protocol.indexOf("http") !== 0 || !window.fetch) {
    return;
  }
  window.fetch(path, {
    method: "POST",
    credentials: "same-origin",
    cache: "no-store",
    keepalive: true,
    referrerPolicy: "no-referrer"
  }).catch(function () {});
})();
