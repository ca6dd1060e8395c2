// The admin header's menus are <details> and work without this script. With it, they close as menus do:
// a click elsewhere closes them, and Escape closes the one holding focus and returns focus to its button.
(function () {
  'use strict';
  var menus = function () {
    return document.querySelectorAll('.admin-header details[open]');
  };
  document.addEventListener('click', function (event) {
    var open = menus();
    for (var i = 0; i < open.length; i++) if (!open[i].contains(event.target)) open[i].removeAttribute('open');
  });
  document.addEventListener('keydown', function (event) {
    if (event.key !== 'Escape') return;
    var open = menus();
    // The innermost open menu around the focus (Administration inside Menu closes first).
    for (var i = open.length - 1; i >= 0; i--) {
      if (!open[i].contains(document.activeElement)) continue;
      open[i].removeAttribute('open');
      var summary = open[i].querySelector('summary');
      if (summary) summary.focus();
      return;
    }
  });
})();
