// Admin: delivery counts ("4,210 of 10,000 sent · 3 failed · 12 waiting to retry") update live while mail goes out.
(function () {
  'use strict';
  if (typeof io !== 'function' || !document.querySelector('[data-delivery-source]')) return;
  var number = new Intl.NumberFormat();
  // The operators' own socket.io server, under /admin (an edge forwards it to the primary with the admin).
  var socket = io({ path: '/admin/live/', transports: ['websocket', 'polling'], tryAllTransports: true });
  socket.on('delivery.progress', function (p) {
    var nodes = document.querySelectorAll('[data-delivery-source]');
    for (var i = 0; i < nodes.length; i++) {
      if (nodes[i].getAttribute('data-delivery-source') !== p.source) continue;
      var text = nodes[i].querySelector('[data-field=text]');
      var s = p.stats;
      if (text) {
        text.textContent =
          number.format(s.sent) +
          ' of ' +
          number.format(s.total) +
          ' sent · ' +
          number.format(s.failed) +
          ' failed · ' +
          number.format(s.retrying) +
          ' waiting to retry' +
          (s.dead ? ' · ' + number.format(s.dead) + ' given up' : '');
      }
    }
  });
})();
