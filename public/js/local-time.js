// Shows every <time data-local> in the viewer's own time zone; the server's text (page zone, with offset) stays as the title.
// The same format as the server's (server/lib/time.ts formatDateTime): "1 Dec 2026, 16:08 UTC+1", only the zone differs,
// so the text does not change shape when the script runs.
(function () {
  'use strict';
  var intl = new Intl.DateTimeFormat('en-GB', {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'shortOffset',
  });
  var format = {
    format: function (date) {
      return intl
        .format(date)
        .replace(/GMT(?=[+-]|$)/, 'UTC')
        .replace(/UTC\+0$/, 'UTC');
    },
  };
  function localize(root) {
    var nodes = (root || document).querySelectorAll('time[data-local]');
    for (var i = 0; i < nodes.length; i++) {
      var node = nodes[i];
      var date = new Date(node.getAttribute('datetime'));
      if (isNaN(date.getTime())) continue;
      if (!node.title) node.title = node.textContent;
      node.textContent = format.format(date);
    }
  }
  window.pharosLocalize = localize;
  localize(document);
})();
