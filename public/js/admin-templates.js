// New incident: a message template fills the message (and a status) so that the first post is fast under stress.
(function () {
  'use strict';
  var select = document.getElementById('template');
  var body = document.getElementById('body');
  var status = document.getElementById('status');
  if (!select || !body) return;
  select.hidden = false;
  var label = document.querySelector('label[for="template"]');
  if (label) label.hidden = false;
  select.addEventListener('change', function () {
    var option = select.options[select.selectedIndex];
    if (!option || !option.value) return;
    if (body.value.trim() && !window.confirm('Replace the message you typed with this template?')) return;
    body.value = option.getAttribute('data-body') || '';
    var s = option.getAttribute('data-status');
    if (status && s) status.value = s;
    body.focus();
  });
})();
