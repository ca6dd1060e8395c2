// New incident: a template fills the form (title, status, message, notification, components listed as
// affected) so that the first post is fast under stress. Without this script the picker is a GET form
// of its own: "Use template" brings the page back filled in by the server.
(function () {
  'use strict';
  var select = document.getElementById('template');
  var body = document.getElementById('body');
  if (!select || !body) return;
  var name = document.getElementById('name');
  var status = document.getElementById('status');
  var notify = document.querySelector('input[name="deliver_notifications"]');
  var linked = document.getElementById('template-components');
  var use = document.getElementById('template-use');
  // Filled in place: the button would reload the page and lose what was typed.
  if (use) use.hidden = true;

  function labelOf(id) {
    var label = document.querySelector('label[for="c-' + id + '"]');
    return label ? label.textContent.replace(/\s+/g, ' ').trim() : id;
  }

  // The components the template lists as affected, as checked boxes (component_ids), replacing the last template's.
  function listComponents(ids) {
    if (!linked) return;
    var old = linked.querySelectorAll('label.check');
    for (var i = 0; i < old.length; i++) old[i].parentNode.removeChild(old[i]);
    for (var j = 0; j < ids.length; j++) {
      var label = document.createElement('label');
      label.className = 'check';
      var box = document.createElement('input');
      box.type = 'checkbox';
      box.name = 'component_ids';
      box.value = ids[j];
      box.checked = true;
      label.appendChild(box);
      label.appendChild(document.createTextNode(' ' + labelOf(ids[j])));
      linked.appendChild(label);
    }
    linked.hidden = ids.length === 0;
  }

  select.addEventListener('change', function () {
    var option = select.options[select.selectedIndex];
    if (!option || !option.value) return;
    if (body.value.trim() && !window.confirm('Replace the message you typed with this template?')) return;
    body.value = option.getAttribute('data-body') || '';
    var title = option.getAttribute('data-title');
    // A title is filled in only where none was typed.
    if (name && title && !name.value.trim()) name.value = title;
    var s = option.getAttribute('data-status');
    if (status && s) status.value = s;
    if (notify) notify.checked = option.getAttribute('data-notify') === 'on';
    var ids = (option.getAttribute('data-components') || '').split(' ').filter(Boolean);
    listComponents(ids);
    body.focus();
  });
})();
