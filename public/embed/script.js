// Pharos's embed. One tag on any site,
//   <script src="https://status.example.com/embed/script.js"></script>
// shows a small box in a bottom corner (full width on phones) while an incident or maintenance is open on
// that status page, and nothing otherwise. The box is /embed/frame in an iframe, which says by postMessage
// how tall it is and what it shows; a dismissal is remembered in this site's localStorage until the
// incident changes. No cookie, no tracking: the frame is asked for without a Referer, and told this page's
// origin (only that, after '#', which is never sent) so that it posts to this page alone.
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || !script.src) return;
  var origin = new window.URL(script.src, window.location.href).origin;
  var pageOrigin = window.location.origin;
  // A file: or sandboxed page has no origin the frame could post to.
  if (!/^https?:\/\//.test(pageOrigin)) return;
  // Once per status page, however many tags load it.
  var flag = '__pharosEmbed ' + origin;
  if (window[flag]) return;
  window[flag] = true;

  var STORE = 'pharos-embed:' + origin;
  var MAX_HEIGHT = 600;
  var phone = window.matchMedia('(max-width: 600px)');
  var state = { key: '', position: 'bottom-right', height: 0 };
  var dismissed = read();

  var frame = document.createElement('iframe');
  frame.src = origin + '/embed/frame#' + encodeURIComponent(pageOrigin);
  frame.title = 'Service status';
  frame.referrerPolicy = 'no-referrer';
  frame.setAttribute('sandbox', 'allow-scripts allow-same-origin allow-popups allow-popups-to-escape-sandbox');
  // Styled through the CSSOM, which a page's Content-Security-Policy (style-src) allows.
  var s = frame.style;
  s.position = 'fixed';
  s.zIndex = '2147483000';
  s.border = '0';
  s.margin = '0';
  s.padding = '0';
  s.maxWidth = '100%';
  s.background = 'transparent';
  // The frame's own (normal): a different one would paint the frame's background opaque.
  s.colorScheme = 'normal';

  function read() {
    try {
      return window.localStorage.getItem(STORE) || '';
    } catch {
      return '';
    }
  }
  function remember(key) {
    dismissed = key;
    try {
      window.localStorage.setItem(STORE, key);
    } catch {
      // Storage refused (private mode, a policy): dismissed for this page view only.
    }
  }
  function layout() {
    var shown = state.height > 0 && state.key !== '' && state.key !== dismissed;
    s.visibility = shown ? 'visible' : 'hidden';
    s.pointerEvents = shown ? 'auto' : 'none';
    s.height = (shown ? state.height : 0) + 'px';
    var left = state.position === 'bottom-left';
    if (phone.matches) {
      s.width = '100%';
      s.left = '0';
      s.right = '0';
      s.bottom = '0';
    } else {
      s.width = '360px';
      s.left = left ? '8px' : 'auto';
      s.right = left ? 'auto' : '8px';
      s.bottom = '8px';
    }
  }

  window.addEventListener('message', function (event) {
    // Only the frame this script made, from the Pharos it was loaded from.
    if (event.origin !== origin || event.source !== frame.contentWindow) return;
    var data = event.data;
    if (!data || typeof data !== 'object' || data.pharosEmbed !== 1) return;
    if (data.type === 'state') {
      state.key = typeof data.key === 'string' ? data.key.slice(0, 100) : '';
      state.position = data.position === 'bottom-left' ? 'bottom-left' : 'bottom-right';
      state.height = typeof data.height === 'number' && data.height > 0 ? Math.min(Math.ceil(data.height), MAX_HEIGHT) : 0;
    } else if (data.type === 'dismiss' && data.key === state.key) {
      remember(state.key);
    }
    layout();
  });
  if (phone.addEventListener) phone.addEventListener('change', layout);
  layout();

  function attach() {
    document.body.appendChild(frame);
  }
  if (document.body) attach();
  else document.addEventListener('DOMContentLoaded', attach);
})();
