// While an operator types in an admin form, the session stays alive: at most every 5 minutes after
// typing, a GET /admin/keepalive slides its 30-minute idle timeout. A page left alone still times out.
(function () {
  'use strict';
  var last = Date.now();
  var typed = false;
  document.addEventListener('input', function () {
    typed = true;
  });
  setInterval(function () {
    if (!typed || Date.now() - last < 5 * 60 * 1000) return;
    typed = false;
    last = Date.now();
    fetch('/admin/keepalive', { credentials: 'same-origin', cache: 'no-store' }).catch(function () {});
  }, 30 * 1000);
})();
