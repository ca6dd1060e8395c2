import Handlebars from 'handlebars';

/**
 * A field a page marked while it rendered: `id` when the helper `invalid` marked its control (the
 * control's id), none when only its message was shown (`fieldError`, beside a group of checkboxes).
 */
export interface MarkedField {
  name: string;
  id?: string;
}

export interface ErrorSummaryItem {
  message: string;
  /** The field's label as the page shows it, without its hint. */
  label?: string;
  /** Where the field is: its control, or the message shown beside a group. */
  href?: string;
}

/** The summary at the top of a refused form (views/partials/admin/error-summary.hbs). */
export interface ErrorSummary {
  title: string;
  items: ErrorSummaryItem[];
}

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#x27;': "'", '&#x60;': '`', '&#x3D;': '=' };

/** Text escaped by Handlebars, as it reads (it is escaped again where it is shown). */
const unescaped = (html: string) => html.replace(/&(?:amp|lt|gt|quot|#x27|#x60|#x3D);/g, (e) => ENTITIES[e] ?? e);

const regExpText = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The words of the <label for="id"> in a page we rendered, without its hint (the muted part: "(Markdown,
 * up to 20,000 characters)"). Read from the page itself, so that a label is written once, in its view.
 */
export function labelIn(body: string, id: string): string | undefined {
  const found = new RegExp(`<label\\b[^>]*\\bfor="${regExpText(Handlebars.escapeExpression(id))}"[^>]*>([\\s\\S]*?)</label>`).exec(body);
  if (!found?.[1]) return undefined;
  const text = found[1].replace(/<span class="muted">[\s\S]*?<\/span>/g, '').replace(/<[^>]*>/g, '');
  return unescaped(text).replace(/\s+/g, ' ').trim() || undefined;
}

/**
 * What a refused form's summary says: its title (the form's own message, or "correct the fields"), then
 * every field's message in the order the page shows the fields, each linking to its field, and after
 * them the messages of fields the page does not show. Undefined when the page was not refused.
 */
export function errorSummaryOf(data: Record<string, unknown>, marked: MarkedField[], body: string): ErrorSummary | undefined {
  const errors = (data.errors ?? {}) as Record<string, string>;
  const formError = typeof data.formError === 'string' ? data.formError : undefined;
  const names = Object.keys(errors).filter((n) => n !== 'form' && errors[n]);
  if (!formError && names.length === 0) return undefined;
  const shown = new Map<string, MarkedField>();
  for (const field of marked) {
    const seen = shown.get(field.name);
    // In the order first shown; a control marked wins over its message: a link should reach what can be corrected.
    if (!seen) shown.set(field.name, field);
    else if (!seen.id && field.id) shown.set(field.name, field);
  }
  const ordered = [...shown.keys()].filter((n) => names.includes(n));
  const items = [...ordered, ...names.filter((n) => !shown.has(n))].map((name): ErrorSummaryItem => {
    const message = errors[name] ?? '';
    const field = shown.get(name);
    if (!field) return { message };
    if (!field.id) return { message, href: `#${name}-error` };
    const label = labelIn(body, field.id);
    return { message, href: `#${field.id}`, ...(label ? { label } : {}) };
  });
  return { title: formError ?? 'Please correct the fields marked below.', items };
}
