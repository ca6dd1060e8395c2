// Live status page: every committed change arrives once as 'page' (and again on every reconnection, so no
// stale state stays on screen), and the regions are replaced in place with the server-rendered fragments.
(function () {
  'use strict';
  var marker = document.getElementById('live');
  if (!marker || typeof io !== 'function') return;
  var regions = ['banner', 'notices', 'maintenance', 'incidents', 'components', 'past', 'subscribe'];
  // socket.io starts with HTTP long-polling and upgrades to a websocket, so the page stays live where websockets are blocked.
  var socket = io();
  socket.on('page', function (update) {
    for (var i = 0; i < regions.length; i++) {
      var el = document.getElementById(regions[i]);
      var hash = update.hashes && update.hashes[regions[i]];
      // Only regions that changed are replaced: an email being typed in the subscribe form stays.
      if (!el || typeof update.html[regions[i]] !== 'string' || (hash && el.getAttribute('data-hash') === hash)) continue;
      // Fragments come from our own templates, with every value escaped there.
      el.innerHTML = update.html[regions[i]];
      if (hash) el.setAttribute('data-hash', hash);
    }
    document.title = update.title;
    marker.setAttribute('data-live-version', String(update.version));
    if (window.pharosLocalize) window.pharosLocalize(document);
  });
  socket.on('disconnect', function (reason) {
    document.body.setAttribute('data-live', 'off');
    // socket.io does not reconnect by itself after a server-side disconnect; a status page must.
    if (reason === 'io server disconnect') setTimeout(function () { socket.connect(); }, 1000);
  });
  socket.on('connect', function () { document.body.setAttribute('data-live', 'on'); });
})();
