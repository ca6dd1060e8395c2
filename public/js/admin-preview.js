// A notice's preview (views/admin/communication-preview.hbs): each frame as tall as what it shows, so
// that the page scrolls rather than the frame. Without this script the frames keep their CSS height.
(function () {
  'use strict';
  var frames = Array.prototype.slice.call(document.querySelectorAll('iframe[data-fit]'));
  function fit(frame) {
    var doc = frame.contentDocument;
    if (!doc || !doc.documentElement || doc.URL === 'about:blank' || doc.readyState !== 'complete') return;
    frame.style.height = '0';
    frame.style.height = doc.documentElement.scrollHeight + 'px';
  }
  frames.forEach(function (frame) {
    frame.addEventListener('load', function () {
      fit(frame);
    });
    fit(frame);
  });
  var pending;
  window.addEventListener('resize', function () {
    window.clearTimeout(pending);
    pending = window.setTimeout(function () {
      frames.forEach(fit);
    }, 150);
  });
})();
