import { createHash } from 'node:crypto';
import Handlebars from 'handlebars';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  COMPONENT_STATUS_LABELS,
  IMPACT_LABELS,
  INCIDENT_STATUS_LABELS,
  worstComponentStatus,
  type ComponentStatus,
  type Impact,
  type IncidentStatus,
} from '../domain/page/status.js';
import { CATEGORY_LABELS, type Category } from '../domain/subscribers/communications.js';
import { formatDateTime, formatDuration } from './format.js';
import { formatDate, toZonedInput } from '../lib/time.js';
import type { RenderMarkdown } from './markdown.js';
import { createMarkdownText } from './markdown-text.js';
import { errorSummaryOf, type MarkedField } from './error-summary.js';

export type Layout = 'public' | 'admin' | 'email' | null;

/** What every template is rendered with: at least the page's time zone (Settings can change it), for every time shown. */
export type RenderData = Record<string, unknown> & { timeZone: string };

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/** Handlebars with our helpers, layouts and partials, compiled once per process. */
export class Views {
  private readonly hbs = Handlebars.create();
  /** Plain text (emails): the same helpers and partials, nothing HTML-escaped. */
  private readonly text = Handlebars.create();
  private readonly templates = new Map<string, Handlebars.TemplateDelegate>();

  constructor(
    private readonly dir: string,
    private readonly markdown: RenderMarkdown,
  ) {
    for (const file of walk(join(dir, 'partials'))) {
      if (!file.endsWith('.hbs')) continue;
      const [name, source] = [relative(join(dir, 'partials'), file).slice(0, -4), readFileSync(file, 'utf8')];
      // Registered compiled: Handlebars compiles a partial registered as source again at every render
      // that uses it (into that render's copy of the partials), and never runs it optimised.
      this.hbs.registerPartial(name, this.hbs.compile(source, { strict: false }));
      this.text.registerPartial(name, this.text.compile(source, { strict: false, noEscape: true }));
    }
    this.registerHelpers(this.hbs, (text, top) => new this.hbs.SafeString(this.markdown(text, top)));
    // In text mail {{markdown body}} is the same Markdown as readable plain text, never HTML.
    this.registerHelpers(this.text, (text) => this.markdownText(text));
  }

  /** Operator Markdown as readable plain text (markdown-text.ts): the text part of mail, its preview line. */
  readonly markdownText = createMarkdownText();

  private template(name: string, noEscape = false): Handlebars.TemplateDelegate {
    const key = noEscape ? `${name}|text` : name;
    let t = this.templates.get(key);
    if (!t) {
      t = (noEscape ? this.text : this.hbs).compile(readFileSync(join(this.dir, `${name}.hbs`), 'utf8'), { strict: false, noEscape });
      this.templates.set(key, t);
    }
    return t;
  }

  /** Renders a plain-text template (emails): nothing is HTML-escaped there. */
  renderText(view: string, data: RenderData): string {
    return this.template(view, true)(data);
  }

  /** Renders views/<view>.hbs, inside views/layouts/<layout>.hbs unless layout is null. */
  render(view: string, data: RenderData, layout: Layout): string {
    // The fields the page marks as refused, in its order (the helpers invalid and fieldError note them).
    const marked: MarkedField[] = [];
    let body = this.template(view)(data, { data: { marked } });
    // A refused admin form: a summary of its problems, each linking to its field. The admin layout shows
    // it above the page; setup and sign-in (in the public layout) within theirs, so they are rendered again with it.
    const errorSummary = view.startsWith('admin/') ? errorSummaryOf(data, marked, body) : undefined;
    if (errorSummary && layout !== 'admin') body = this.template(view)({ ...data, errorSummary });
    return layout === null ? body : this.template(`layouts/${layout}`)({ ...data, errorSummary, body: new Handlebars.SafeString(body) });
  }

  /** Renders one partial alone: the live fragments are the very partials the page is made of. */
  partial(name: string, data: RenderData): string {
    return this.render(`partials/${name}`, data, null);
  }

  private registerHelpers(h: typeof Handlebars, markdown: (text: string, top: number) => string | Handlebars.SafeString): void {
    const esc = (s: string) => h.escapeExpression(s);
    // Our own scripts and CSS by URL with their content's hash: a page never runs an older cached copy
    // after an upgrade (the live protocol and the bars' CSS change with the code).
    const publicDir = join(this.dir, '..', 'public');
    const versions = new Map<string, string>();
    h.registerHelper('asset', (path: string) => {
      let v = versions.get(path);
      if (v === undefined) {
        try {
          v = createHash('sha256')
            .update(readFileSync(join(publicDir, path)))
            .digest('hex')
            .slice(0, 10);
        } catch {
          v = '';
        }
        versions.set(path, v);
      }
      // Our own paths (letters, digits, / . - _) and a hex hash: nothing to escape.
      if (!/^\/[\w/.-]+$/.test(path)) throw new Error(`asset: not a plain path: ${path}`);
      return new h.SafeString(v ? `${path}?v=${v}` : path);
    });
    h.registerHelper('eq', (a: unknown, b: unknown) => a === b);
    h.registerHelper('worstStatus', (components: unknown) =>
      worstComponentStatus(Array.isArray(components) ? components.map((c: { status: ComponentStatus }) => c.status) : []),
    );
    h.registerHelper('gt', (a: unknown, b: unknown) => typeof a === 'number' && typeof b === 'number' && a > b);
    h.registerHelper('concat', (...args: unknown[]) => args.slice(0, -1).map(String).join(''));
    h.registerHelper('not', (a: unknown) => !a);
    h.registerHelper('or', (...args: unknown[]) => args.slice(0, -1).some(Boolean));
    h.registerHelper('and', (...args: unknown[]) => args.slice(0, -1).every(Boolean));
    h.registerHelper('componentStatusLabel', (s: ComponentStatus) => COMPONENT_STATUS_LABELS[s] ?? s);
    h.registerHelper('incidentStatusLabel', (s: IncidentStatus) => INCIDENT_STATUS_LABELS[s] ?? s);
    h.registerHelper('categoryLabel', (c: Category) => CATEGORY_LABELS[c] ?? c);
    h.registerHelper('impactLabel', (s: Impact) => IMPACT_LABELS[s] ?? s);
    h.registerHelper('ms', (ms: number | null) =>
      ms === null || ms === undefined ? '—' : formatDuration(new Date(0).toISOString(), new Date(ms).toISOString()),
    );
    h.registerHelper('minutes', (m: number) => {
      const total = Math.round(m);
      if (total < 1) return 'under a minute';
      return total < 60 ? `${total} min` : total % 60 ? `${Math.floor(total / 60)} h ${total % 60} min` : `${total / 60} h`;
    });
    // Floor, not round: 99.996 % of uptime is not "100 %" while there was any downtime.
    h.registerHelper('percent', (p: number) => `${(Math.floor(p * 100) / 100).toFixed(2)} %`);
    h.registerHelper('durationBetween', (from: string, to: string) => formatDuration(from, to));
    // Form helpers read the typed values and field errors from the root context, the time helpers its zone.
    const rootOf = (options: Handlebars.HelperOptions) => (options.data as { root?: Record<string, unknown> })?.root ?? {};
    const zoneOf = (options: Handlebars.HelperOptions): string => {
      const zone = rootOf(options).timeZone;
      if (typeof zone !== 'string') throw new Error('A time was rendered without the page time zone (RenderData.timeZone)');
      return zone;
    };
    h.registerHelper('zonedInput', (iso: unknown, options: Handlebars.HelperOptions) => (typeof iso === 'string' ? toZonedInput(iso, zoneOf(options)) : ''));
    // <time> with the page zone's text; public/js/local-time.js rewrites it in the viewer's zone.
    h.registerHelper('time', (iso: unknown, options: Handlebars.HelperOptions) => {
      if (typeof iso !== 'string' || Number.isNaN(Date.parse(iso))) return '';
      return new h.SafeString(`<time datetime="${esc(iso)}" data-local="datetime">${esc(formatDateTime(iso, zoneOf(options)))}</time>`);
    });
    h.registerHelper('datetime', (iso: unknown, options: Handlebars.HelperOptions) =>
      typeof iso === 'string' && !Number.isNaN(Date.parse(iso)) ? formatDateTime(iso, zoneOf(options)) : '',
    );
    h.registerHelper('date', (iso: unknown, options: Handlebars.HelperOptions) => {
      if (typeof iso !== 'string' || Number.isNaN(Date.parse(iso))) return '';
      return new h.SafeString(`<time datetime="${esc(iso)}">${esc(formatDate(iso, zoneOf(options)))}</time>`);
    });
    const valueOf = (options: Handlebars.HelperOptions, name: string): string => {
      const values = rootOf(options).values as Record<string, unknown> | undefined;
      const v = values?.[name];
      return typeof v === 'string' ? v : Array.isArray(v) ? String(v[v.length - 1] ?? '') : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
    };
    h.registerHelper('typed', (name: string, options: Handlebars.HelperOptions) => valueOf(options, name));
    h.registerHelper('selected', (name: string, option: string, options: Handlebars.HelperOptions) => (valueOf(options, name) === option ? 'selected' : ''));
    // Is `option` among the values typed for a repeated field (checkbox lists)?
    h.registerHelper('checkedIn', (name: string, option: string, options: Handlebars.HelperOptions) => {
      const values = rootOf(options).values as Record<string, unknown> | undefined;
      const v = values?.[name];
      return (Array.isArray(v) ? v : [v]).includes(option) ? 'checked' : '';
    });
    h.registerHelper('checked', (name: string, options: Handlebars.HelperOptions) => (valueOf(options, name) === 'on' ? 'checked' : ''));
    // Both note the field they mark for the render's error summary (render(): options.data.marked).
    const mark = (options: Handlebars.HelperOptions, field: MarkedField) => (options.data as { marked?: MarkedField[] } | undefined)?.marked?.push(field);
    h.registerHelper('fieldError', (name: string, options: Handlebars.HelperOptions) => {
      const errors = rootOf(options).errors as Record<string, string> | undefined;
      const message = errors?.[name];
      if (!message) return '';
      mark(options, { name });
      return new h.SafeString(`<p class="field-error" id="${esc(name)}-error">${esc(message)}</p>`);
    });
    // {{invalid "name"}} on the control whose id is its name; {{invalid field id="c-…"}} where they differ.
    h.registerHelper('invalid', (name: string, options: Handlebars.HelperOptions) => {
      const errors = rootOf(options).errors as Record<string, string> | undefined;
      if (!errors?.[name]) return '';
      const id: unknown = options.hash?.id;
      mark(options, { name, id: typeof id === 'string' && id ? id : name });
      return new h.SafeString(`aria-invalid="true" aria-describedby="${esc(name)}-error"`);
    });
    // Markdown rendered by markdown-it with raw HTML disabled: HTML we produced, so emitted unescaped
    // (in text mail: plain text). {{markdown body}} under an h3 (the default: `#` becomes h4),
    // {{markdown body 3}} under an h2.
    h.registerHelper('markdown', (text: unknown, top: unknown) =>
      markdown(typeof text === 'string' ? text : '', typeof top === 'number' && top >= 2 && top <= 6 ? top : 4),
    );
  }
}
