import assert from 'node:assert/strict';

/** The headings of a data-protection notice, in order, on its page and in its mail. */
export const HEADINGS = ['What happened', 'What information was involved', 'What we are doing', 'What you can do', 'For more information'];
export const REQUIRED = ['what_happened', 'data_involved', 'consequences', 'measures', 'what_to_do', 'contact'] as const;

/** A complete data-protection notice's fields; every value plain text, so that it reads the same escaped or not. */
export const completeNotice = (title: string): Record<string, string> => ({
  category: 'data_protection',
  title,
  what_happened: 'On 28 November an attacker copied part of the customer database',
  data_involved: 'Names and email addresses; no passwords or payment details',
  consequences: 'You may receive phishing emails that look like ours',
  measures: 'We closed the hole, rotated every credential and informed the supervisory authority',
  what_to_do: 'Be wary of emails asking for your password; we never ask for it',
  contact: 'Our data protection officer, dpo at acme.test',
  body: '',
  incident_id: '',
});

/** The draft's id in a redirect to its form or its preview. */
export function draftIdOf(location: string | undefined): string {
  const m = /^\/admin\/communications\/drafts\/([a-z0-9]+)(\/preview|\?saved=1)?$/.exec(location ?? '');
  assert.ok(m?.[1], `redirected to a draft, got ${location}`);
  return m[1];
}

/** The value of a hidden field in a page (the last form's, when several carry one). */
export function hiddenField(html: string, name: string): string {
  const all = [...html.matchAll(new RegExp(`name="${name}" value="([^"]*)"`, 'g'))];
  const value = all.at(-1)?.[1];
  assert.ok(value !== undefined, `no ${name} field in the page`);
  return value;
}

/** Text as it was before Handlebars escaped it into a page. */
export function unescapeHtml(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#x27;/g, "'")
    .replace(/&#x60;/g, '`')
    .replace(/&#x3D;/g, '=')
    .replace(/&amp;/g, '&');
}

/** The text part as the preview page shows it (its <pre>), unescaped. */
export function previewedText(html: string): string {
  const m = /<pre class="mail-text"[^>]*>([\s\S]*?)<\/pre>/.exec(html);
  assert.ok(m?.[1] !== undefined, 'the preview shows the text part');
  return unescapeHtml(m[1]);
}

/** A preview frame's document without the one thing the frame adds (links open outside it). */
export const unframed = (html: string) => html.replace('<head><base target="_blank">', '<head>');
