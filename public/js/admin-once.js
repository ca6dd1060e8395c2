// Back after "Create", and the browser shows the form again with what was typed, but loaded anew (admin
// pages are no-store), with a fresh one-time token: sending it would create a second incident. So each
// form's token is noted in the page's own history entry as the form is sent, and put back when the page
// is shown again from that entry: sent again, it leads to what it already did (middleware/once.ts).
(function () {
  'use strict';
  var KEY = 'pharosOnce';
  var copy = function (from) {
    var out = {};
    if (from && typeof from === 'object') for (var k in from) if (Object.prototype.hasOwnProperty.call(from, k)) out[k] = from[k];
    return out;
  };
  // Only coming back through the history brings back what was typed; a reload, or the address opened
  // again, shows an empty form, with its fresh token (and forgets the tokens noted before).
  var entry = window.performance.getEntriesByType ? window.performance.getEntriesByType('navigation')[0] : undefined;
  var back = entry !== undefined && entry.type === 'back_forward';
  var state = copy(window.history.state);
  var noted = back ? copy(state[KEY]) : {};
  if (!back && KEY in state) {
    delete state[KEY];
    window.history.replaceState(state, '');
  }
  var note = function (action, field) {
    return function () {
      var now = copy(window.history.state);
      var tokens = copy(now[KEY]);
      tokens[action] = field.value;
      now[KEY] = tokens;
      window.history.replaceState(now, '');
    };
  };
  var forms = document.querySelectorAll('form[method="post"]');
  for (var i = 0; i < forms.length; i++) {
    var field = forms[i].querySelector('input[name="_once"]');
    if (!field) continue;
    var action = forms[i].getAttribute('action') || '';
    if (typeof noted[action] === 'string') field.value = noted[action];
    forms[i].addEventListener('submit', note(action, field));
  }
})();
