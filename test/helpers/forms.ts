/**
 * Reading the forms of a page we rendered, as a browser would submit them: each POST form's action
 * and the values it would send as it stands (hidden fields, typed values, chosen options, ticked
 * boxes), and which of its fields declare a limit (data-maxlength). Our own markup only: attributes
 * in double quotes, as Handlebars writes them.
 */

export interface PageForm {
  action: string;
  /** What the form sends untouched; a repeated name (checkboxes) is a list. */
  values: Record<string, string | string[]>;
  /** Every named control with its tag and attributes, in the page's order. */
  controls: { tag: 'input' | 'textarea' | 'select'; attrs: Record<string, string> }[];
}

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#x27;': "'", '&#x60;': '`', '&#x3D;': '=' };
export const unescapeHtml = (s: string) => s.replace(/&(?:amp|lt|gt|quot|#x27|#x60|#x3D);/g, (e) => ENTITIES[e] ?? e);

export function attributesOf(tag: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const m of tag.matchAll(/([\w:-]+)(?:="([^"]*)")?/g)) {
    const [, name, value] = m;
    if (name) attrs[name.toLowerCase()] = unescapeHtml(value ?? '');
  }
  return attrs;
}

function add(values: Record<string, string | string[]>, name: string, value: string) {
  const had = values[name];
  values[name] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [had, value];
}

/** The POST forms of a page, in order. */
export function postForms(html: string): PageForm[] {
  const forms: PageForm[] = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
    const form = attributesOf(m[1] ?? '');
    if ((form.method ?? 'get').toLowerCase() !== 'post' || !form.action) continue;
    const inner = m[2] ?? '';
    const values: Record<string, string | string[]> = {};
    const controls: PageForm['controls'] = [];
    for (const c of inner.matchAll(/<(input|textarea|select)\b([^>]*)>(?:([\s\S]*?)<\/\1>)?/g)) {
      const tag = c[1] as 'input' | 'textarea' | 'select';
      const attrs = attributesOf(c[2] ?? '');
      if (!attrs.name) continue;
      controls.push({ tag, attrs });
      if (tag === 'textarea') add(values, attrs.name, unescapeHtml(c[3] ?? ''));
      else if (tag === 'select') {
        const options = [...(c[3] ?? '').matchAll(/<option\b([^>]*)>/g)].map((o) => attributesOf(o[1] ?? ''));
        const chosen = options.find((o) => 'selected' in o) ?? options[0];
        if (chosen) add(values, attrs.name, chosen.value ?? '');
      } else if (attrs.type === 'checkbox' || attrs.type === 'radio') {
        if ('checked' in attrs) add(values, attrs.name, attrs.value ?? 'on');
      } else if (attrs.type !== 'file') add(values, attrs.name, attrs.value ?? '');
    }
    forms.push({ action: unescapeHtml(form.action), values, controls });
  }
  return forms;
}

/** The text fields of a form with their declared limit. */
export function limitedFields(form: PageForm): { name: string; id: string; type: string; limit: number }[] {
  return form.controls
    .filter((c) => c.attrs['data-maxlength'])
    .map((c) => ({ name: c.attrs.name ?? '', id: c.attrs.id ?? '', type: c.attrs.type ?? c.tag, limit: Number(c.attrs['data-maxlength']) }));
}

/** The links of a refused page's error summary (views/partials/admin/error-summary.hbs): their targets and text. */
export function summaryLinks(html: string): { href: string; text: string }[] {
  const summary = /<div class="alert alert--error" role="alert" id="error-summary"[^>]*>([\s\S]*?)<\/div>/.exec(html)?.[1] ?? '';
  return [...summary.matchAll(/<a href="([^"]*)">([\s\S]*?)<\/a>/g)].map((m) => ({ href: unescapeHtml(m[1] ?? ''), text: unescapeHtml(m[2] ?? '') }));
}
