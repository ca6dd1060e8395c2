// Admin forms. A refused form: the section holding its first problem opens and that field takes the
// focus, and the summary's links do the same for each field. A text with a limit: a live count once it
// nears the limit. Without this script the server does what matters: sections holding an error render
// open, the summary's links lead to each field, and a text over its limit is refused with a message
// saying so (nothing is ever cut).
(function () {
  'use strict';
  // Every word this script shows, in one place.
  var MESSAGES = {
    count: function (typed, max) {
      return typed + ' of ' + max + ' characters';
    },
    over: function (over, typed, max) {
      return over + ' too many: ' + typed + ' of ' + max + ' characters';
    },
  };
  // The count shows from this share of the limit on.
  var NEAR = 0.9;
  // A screen reader is told the count once typing pauses, not at every key.
  var SPEAK_AFTER_MS = 1000;
  var number = new Intl.NumberFormat(document.documentElement.lang || undefined);

  function isControl(el) {
    return /^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName);
  }

  // What a summary link leads to: a field, or (for a message beside a group of checkboxes) the group's first box.
  function controlOf(target) {
    if (!target || isControl(target)) return target;
    var group = target.closest('fieldset') || target.parentElement;
    return (group && group.querySelector('input:not([type="hidden"]), select, textarea')) || target;
  }

  // A closed <details> hides what it holds from focus: every one around the field opens.
  function reveal(el) {
    for (var d = el.closest('details'); d; d = d.parentElement ? d.parentElement.closest('details') : null) d.open = true;
  }

  // The field takes the focus with its label in view: the label says what it is, the message below it what is wrong.
  function focusField(control) {
    reveal(control);
    var label = control.labels && control.labels.length ? control.labels[0] : control.closest('fieldset');
    control.focus({ preventScroll: true });
    (label || control).scrollIntoView({ block: 'start' });
  }

  function targetOf(link) {
    var href = link.getAttribute('href') || '';
    return href.charAt(0) === '#' ? controlOf(document.getElementById(href.slice(1))) : null;
  }

  // A live count below a field with data-maxlength, from NEAR of its limit on. A text area's value counts a
  // line break as one character, as the server does (server/http/respond.ts formBody).
  function count(field) {
    var max = Number(field.getAttribute('data-maxlength'));
    if (!(max > 0)) return;
    var shown = document.createElement('p');
    shown.className = 'char-count';
    shown.hidden = true;
    // Heard through the polite region below once typing pauses, not read again at every key.
    shown.setAttribute('aria-hidden', 'true');
    var spoken = document.createElement('p');
    spoken.className = 'visually-hidden';
    spoken.setAttribute('aria-live', 'polite');
    field.insertAdjacentElement('afterend', shown);
    shown.insertAdjacentElement('afterend', spoken);
    var timer;
    function update(speak) {
      var typed = field.value.length;
      var near = typed >= max * NEAR;
      var text = '';
      if (typed > max) text = MESSAGES.over(number.format(typed - max), number.format(typed), number.format(max));
      else if (near) text = MESSAGES.count(number.format(typed), number.format(max));
      shown.hidden = !near;
      shown.textContent = text;
      shown.classList.toggle('char-count--over', typed > max);
      if (!speak) return;
      window.clearTimeout(timer);
      timer = setTimeout(function () {
        spoken.textContent = text;
      }, SPEAK_AFTER_MS);
    }
    field.addEventListener('input', function () {
      update(true);
    });
    update(false);
  }

  var limited = document.querySelectorAll('[data-maxlength]');
  for (var i = 0; i < limited.length; i++) count(limited[i]);

  // After the counts, which add lines above some fields: the field focused stays where it was scrolled to.
  var summary = document.getElementById('error-summary');
  if (summary) {
    summary.addEventListener('click', function (event) {
      var link = event.target.closest && event.target.closest('a[href^="#"]');
      var control = link && targetOf(link);
      if (!control) return;
      event.preventDefault();
      focusField(control);
    });
    var first = summary.querySelector('a[href^="#"]');
    var control = first && targetOf(first);
    if (control) focusField(control);
    // No field to correct (the storage refused the change, a wrong password at sign-in...): the summary, unless the page chose a field.
    else if (!document.querySelector('[autofocus]')) summary.focus();
  }
})();
