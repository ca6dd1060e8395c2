// Shows every <time data-local> in the viewer's own time zone; the server's text (page zone, with offset) stays as the title.
(function () {
  'use strict';
  var format = new Intl.DateTimeFormat(undefined, {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  });
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
