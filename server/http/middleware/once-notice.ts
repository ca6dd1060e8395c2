/** What a page says when a form with a one-time token was sent again and led back to its first result (once.ts). */

/** The parameter a resent form's first result is shown with, naming what the form did (resentNotice). */
export const RESENT_PARAM = 'resent';
export const CHANGED = '-changed';

/** What a form with a one-time token does, by where it is sent: the words of its notice. */
const KINDS: [RegExp, string, string][] = [
  [/^\/admin\/incidents$/, 'incident', 'This incident was already created'],
  [/^\/admin\/maintenance$/, 'maintenance', 'This maintenance was already scheduled'],
  [/^\/admin\/incidents\/[^/]+\/updates$/, 'update', 'This update was already posted'],
];
const GENERIC = 'This was already done';

export const resentKind = (path: string) => KINDS.find(([pattern]) => pattern.test(path))?.[1] ?? 'form';

/** A local URL with one more query parameter, before its fragment. */
export function withParam(location: string, name: string, value: string): string {
  const url = new URL(location, 'http://pharos.invalid');
  url.searchParams.set(name, value);
  return url.pathname + url.search + url.hash;
}

/**
 * The notice on the page a resent form was led back to, from its `resent` parameter (anything else:
 * none). A query parameter rather than a flash cookie: nothing to store, and every tab tells its own.
 */
export function resentNotice(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const changed = value.endsWith(CHANGED);
  const kind = changed ? value.slice(0, -CHANGED.length) : value;
  const done = kind === 'form' ? GENERIC : KINDS.find(([, k]) => k === kind)?.[2];
  if (!done) return undefined;
  return changed
    ? `${done}: its form was sent again with changes, which were not sent, and nothing was done twice. To send them, start from a new form.`
    : `${done}: its form was sent again (Back, then send), and nothing was done twice.`;
}
