// Live status page. On (re)connection the server is told which version of each region the page shows
// (their data-hash) and sends only what differs; after each committed change it sends the regions that
// changed, or only the component rows that changed. Everything is replaced in place with server-rendered HTML.
(function () {
  'use strict';
  // Every word this script shows, in one place (a later step moves them into the page's message catalog).
  var TEXT = {
    paused: 'Live updates paused, reconnecting…',
    // {time}: when the page was last known current, in the viewer's zone (public/js/local-time.js).
    asOf: 'Showing the status as of {time}.',
  };
  // Without the connection this long, the page says so: a restart usually takes less.
  var PAUSED_AFTER_MS = 4000;
  var loadedAt = new Date();
  // The page's notice (#live-paused, role="status", empty until needed): after PAUSED_AFTER_MS without the
  // connection, it says the page no longer follows changes and since when; emptied when the connection is back.
  function pausedNotice() {
    var notice = document.getElementById('live-paused');
    var timer;
    // The page was current when it was loaded (the server's answer), then until the connection was lost.
    var currentAt = loadedAt;
    function show() {
      if (!notice) return;
      var when = document.createElement('time');
      when.setAttribute('datetime', currentAt.toISOString());
      when.setAttribute('data-local', 'datetime');
      when.textContent = currentAt.toISOString();
      var parts = TEXT.asOf.split('{time}');
      var since = document.createElement('span');
      since.appendChild(document.createTextNode(parts[0] || ''));
      since.appendChild(when);
      since.appendChild(document.createTextNode(parts[1] || ''));
      var first = document.createElement('strong');
      first.textContent = TEXT.paused;
      notice.textContent = '';
      notice.appendChild(first);
      notice.appendChild(document.createTextNode(' '));
      notice.appendChild(since);
      if (window.pharosLocalize) window.pharosLocalize(notice);
    }
    return {
      lost: function (at) {
        if (at) currentAt = at;
        if (!timer) timer = window.setTimeout(show, PAUSED_AFTER_MS);
      },
      back: function () {
        window.clearTimeout(timer);
        timer = undefined;
        if (notice) notice.textContent = '';
      },
    };
  }
  var paused = pausedNotice();
  // Until the first connection: a page loaded while the server is down (its static copy) says so too.
  paused.lost();
  // The live part, once socket.io's client is there.
  function start() {
    // Reconnection is ours, not socket.io's (reconnection: false): after a drop, a first attempt at a random
    // moment within `spread` ms, then one every `spread` ms until one succeeds. The server says how wide to
    // spread (its viewers at the rate it takes them back, server/realtime/retry.ts) with the first state,
    // as its viewers grow and just before it restarts; so after a restart its viewers return evenly over
    // that time, not all in the same second. scripts/bench/fanout-client.ts does the same. Returns what
    // takes a hint.
    function keepConnected(socket) {
      var spread = 5000;
      var timer;
      function attempt(ms) {
        window.clearTimeout(timer);
        timer = window.setTimeout(function () {
          if (!socket.connected) socket.connect();
        }, ms);
      }
      function hint(h) {
        if (h && typeof h.spread === 'number' && h.spread >= 1000) spread = Math.min(h.spread, 60000);
      }
      socket.on('retry', hint);
      socket.on('disconnect', function (reason) {
        document.body.setAttribute('data-live', 'off');
        // The page's own disconnect().connect() (rows it cannot patch) reconnects at once by itself.
        if (reason !== 'io client disconnect') attempt(Math.random() * spread);
        paused.lost(new Date());
      });
      socket.on('connect_error', function () {
        attempt(spread);
      });
      socket.on('connect', function () {
        document.body.setAttribute('data-live', 'on');
        paused.back();
      });
      return hint;
    }
    // An incident's page (/incidents/:id): one live region, replaced when the incident changes.
    var incident = document.getElementById('incident');
    if (incident && incident.getAttribute('data-incident')) {
      var live = io({
        transports: ['websocket', 'polling'],
        tryAllTransports: true,
        reconnection: false,
        auth: function (send) {
          send({ v: 2, incident: incident.getAttribute('data-incident'), hashes: { incident: incident.getAttribute('data-hash') } });
        },
      });
      var liveHint = keepConnected(live);
      live.on('incident', function (update) {
        liveHint(update.retry);
        if (typeof update.html === 'string' && update.hash !== incident.getAttribute('data-hash')) {
          // Server-rendered from our own templates, every value escaped there.
          incident.innerHTML = update.html;
          incident.setAttribute('data-hash', update.hash);
          if (window.pharosLocalize) window.pharosLocalize(incident);
        }
        if (update.title) document.title = update.title;
      });
      return;
    }
    var marker = document.getElementById('live');
    if (!marker) return;
    // Folded groups are remembered in this browser (the page itself always has them open, for no-JS readers).
    var FOLDED = 'pharos.folded-groups';
    function folded() {
      try {
        return JSON.parse(window.localStorage.getItem(FOLDED) || '[]');
      } catch {
        return [];
      }
    }
    function applyFolds() {
      var closed = folded();
      var groups = document.querySelectorAll('details.group__fold[data-group]');
      for (var i = 0; i < groups.length; i++) if (closed.indexOf(groups[i].getAttribute('data-group')) !== -1) groups[i].removeAttribute('open');
    }
    document.addEventListener(
      'toggle',
      function (event) {
        var el = event.target;
        if (!el || !el.classList || !el.classList.contains('group__fold')) return;
        var id = el.getAttribute('data-group');
        var closed = folded().filter(function (g) {
          return g !== id;
        });
        if (!el.open) closed.push(id);
        try {
          window.localStorage.setItem(FOLDED, JSON.stringify(closed));
        } catch {
          // Private browsing: folding still works, it is not remembered.
        }
      },
      true,
    );
    applyFolds();
    var regions = ['banner', 'notices', 'maintenance', 'incidents', 'components', 'past', 'subscribe'];
    function shown() {
      var hashes = {};
      for (var i = 0; i < regions.length; i++) {
        var el = document.getElementById(regions[i]);
        if (el && el.getAttribute('data-hash')) hashes[regions[i]] = el.getAttribute('data-hash');
      }
      return hashes;
    }
    // The hash of each component row the page shows, in its order, with the layout they sit in: a page
    // reconnecting with an older components region of the same layout is sent only the rows it lacks
    // (server/realtime/payload.ts). 8 characters a row, and only while the handshake stays small.
    function rowsShown() {
      var list = document.querySelector('#components ul.components[data-layout]');
      if (!list) return {};
      var rows = list.querySelectorAll('li.component[data-hash]');
      var hashes = '';
      for (var i = 0; i < rows.length; i++) hashes += rows[i].getAttribute('data-hash').slice(0, 8);
      return hashes.length <= 3000 ? { layout: list.getAttribute('data-layout'), rows: hashes } : {};
    }
    // A websocket first; where websockets are blocked, HTTP long-polling (a server of one process takes
    // it; one with several workers takes websockets only). auth is asked for again at every reconnection.
    // v: 2 says this page patches component rows (server/realtime/payload.ts).
    var socket = io({
      transports: ['websocket', 'polling'],
      tryAllTransports: true,
      reconnection: false,
      auth: function (send) {
        var rows = rowsShown();
        send({ v: 2, hashes: shown(), layout: rows.layout, rows: rows.rows });
      },
    });
    var hint = keepConnected(socket);
    socket.on('page', function (update) {
      hint(update.retry);
      for (var i = 0; i < regions.length; i++) {
        var el = document.getElementById(regions[i]);
        var hash = update.hashes && update.hashes[regions[i]];
        // Only regions that changed are replaced: an email being typed in the subscribe form stays.
        if (!el || typeof update.html[regions[i]] !== 'string' || (hash && el.getAttribute('data-hash') === hash)) continue;
        // Fragments come from our own templates, with every value escaped there.
        el.innerHTML = update.html[regions[i]];
        if (hash) el.setAttribute('data-hash', hash);
        if (regions[i] === 'components') applyFolds();
      }
      if (update.rows) {
        var components = document.getElementById('components');
        // Rows patch the version of the region they were computed from; a page with another version
        // (missed something) asks again: on reconnection the server sends what its hashes lack.
        if (!components || components.getAttribute('data-hash') !== update.base) {
          socket.disconnect().connect();
          return;
        }
        for (var id in update.rows) {
          var row = document.getElementById('component-' + id);
          if (!Object.prototype.hasOwnProperty.call(update.rows, id)) continue;
          if (!row) {
            socket.disconnect().connect();
            return;
          }
          row.outerHTML = update.rows[id];
        }
        components.setAttribute('data-hash', update.hashes.components);
      }
      document.title = update.title;
      var icon = document.querySelector('link[rel="icon"]');
      if (icon && update.status && update.status.indicator) icon.setAttribute('href', '/icons/status-' + update.status.indicator + '.svg');
      marker.setAttribute('data-live-version', String(update.version));
      if (window.pharosLocalize) window.pharosLocalize(document);
    });
  }
  // No client: the server did not answer for it (a static copy of the page was served while Pharos was
  // down). It is asked for again every 10 to 20 s (spread, as reconnections are) until it comes.
  function fetchClient() {
    window.setTimeout(
      function () {
        var script = document.createElement('script');
        script.src = '/socket.io/socket.io.min.js';
        script.onload = function () {
          if (typeof io === 'function') start();
          else fetchClient();
        };
        script.onerror = fetchClient;
        document.head.appendChild(script);
      },
      10000 + Math.random() * 10000,
    );
  }
  if (typeof io === 'function') start();
  else if (document.getElementById('live') || document.getElementById('incident')) fetchClient();
})();
