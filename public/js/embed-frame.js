// /embed/frame's script. It tells the page embedding it (through /embed/script.js, public/embed/script.js)
// how tall the box is and what it shows (the key a dismissal is remembered by), and when the reader dismisses
// it; it keeps the box current by asking for the frame again every minute (a 304 while nothing changed).
(function () {
  'use strict';
  var POLL_MS = 60000;
  // The embedding page's origin, as the script wrote it after the frame's address (#https://www.example.com).
  // Messages go to that origin only, never to '*': were the frame framed by another page claiming it, the
  // browser would drop them (the target origin is not the parent's).
  var parentOrigin = '';
  try {
    parentOrigin = decodeURIComponent(window.location.hash.slice(1));
  } catch {
    parentOrigin = '';
  }
  if (window.parent === window || !/^https?:\/\/[^/?#\s]+$/.test(parentOrigin)) return;
  var root = document.getElementById('embed');
  if (!root) return;
  var last = '';

  function post(message) {
    message.pharosEmbed = 1;
    window.parent.postMessage(message, parentOrigin);
  }
  function key() {
    return root.getAttribute('data-key') || '';
  }
  // The box's height with the room around it for its shadow; 0: nothing to show.
  function report() {
    var height = root.querySelector('.embed') ? Math.ceil(document.body.getBoundingClientRect().height) : 0;
    var position = root.getAttribute('data-position') || 'bottom-right';
    var now = key() + ' ' + position + ' ' + height;
    if (now === last) return;
    last = now;
    post({ type: 'state', key: key(), position: position, height: height });
  }
  function dismiss() {
    post({ type: 'dismiss', key: key() });
  }
  function refresh() {
    if (document.visibilityState === 'hidden') return;
    // The browser revalidates (If-None-Match): the snapshot's ETag answers 304 until the page changes.
    fetch(window.location.pathname, { cache: 'no-cache', credentials: 'omit' })
      .then(function (res) {
        return res.ok ? res.text() : '';
      })
      .then(function (html) {
        if (!html) return;
        var next = new window.DOMParser().parseFromString(html, 'text/html').getElementById('embed');
        if (!next || (next.getAttribute('data-key') === key() && next.innerHTML === root.innerHTML)) return;
        root.setAttribute('data-key', next.getAttribute('data-key') || '');
        root.setAttribute('data-position', next.getAttribute('data-position') || 'bottom-right');
        root.innerHTML = next.innerHTML;
        report();
      })
      .catch(function () {
        // Offline or Pharos unreachable: the box stays as it was; the next minute tries again.
      });
  }

  document.addEventListener('click', function (event) {
    var target = event.target;
    if (target && target.closest && target.closest('[data-dismiss]')) dismiss();
  });
  document.addEventListener('keydown', function (event) {
    if (event.key === 'Escape' && root.querySelector('.embed')) dismiss();
  });
  document.addEventListener('visibilitychange', refresh);
  window.addEventListener('resize', report);
  if (window.ResizeObserver) new window.ResizeObserver(report).observe(root);
  setInterval(refresh, POLL_MS);
  report();
})();
