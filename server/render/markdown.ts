import MarkdownIt from 'markdown-it';

/** `top`: the level an operator's `#` heading becomes (the update or notice sits under the page's own headings). */
export type RenderMarkdown = (text: string, top?: number) => string;

/** Where an image may be shown from besides the page itself: origins such as https://grafana.example.com. */
export interface MarkdownOptions {
  imageOrigins: readonly string[];
}

function origin(src: string): string | undefined {
  try {
    return new URL(src).origin;
  } catch {
    return undefined;
  }
}

/** The one parser of operator Markdown: the HTML of pages and mail and the text part of mail (markdown-text.ts) read alike. */
export function markdownParser(): MarkdownIt {
  return new MarkdownIt({ html: false, linkify: true, breaks: true });
}

/**
 * Operator Markdown → safe HTML. Raw HTML is off; markdown-it's link validation already refuses
 * javascript:, vbscript:, file: and most data: URLs. An image is shown only when the page's
 * Content-Security-Policy lets a browser load it (a path on this site, a data: image, or an origin in
 * MARKDOWN_IMAGE_HOSTS); any other image would be a broken icon, so it becomes a link to itself.
 */
export function createMarkdown(options: MarkdownOptions): RenderMarkdown {
  const md = markdownParser();
  const allowed = new Set(options.imageOrigins);
  const shown = (src: string) => (src.startsWith('/') && !src.startsWith('//')) || src.startsWith('data:image/') || allowed.has(origin(src) ?? '');

  const defaultLinkOpen = md.renderer.rules.link_open ?? ((tokens, idx, opts, _env, self) => self.renderToken(tokens, idx, opts));
  md.renderer.rules.link_open = (tokens, idx, opts, env, self) => {
    tokens[idx]?.attrSet('rel', 'nofollow noopener noreferrer');
    return defaultLinkOpen(tokens, idx, opts, env, self);
  };
  const defaultImage = md.renderer.rules.image ?? ((tokens, idx, opts, _env, self) => self.renderToken(tokens, idx, opts));
  md.renderer.rules.image = (tokens, idx, opts, env, self) => {
    const token = tokens[idx];
    const src = token?.attrGet('src') ?? '';
    if (token && shown(src)) {
      token.attrSet('loading', 'lazy');
      return defaultImage(tokens, idx, opts, env, self);
    }
    const alt = token?.children ? self.renderInlineAsText(token.children, opts, env) : '';
    const label = md.utils.escapeHtml(alt.trim() || src);
    return `<a href="${md.utils.escapeHtml(src)}" rel="nofollow noopener noreferrer" class="image-link">${label}</a>`;
  };
  // Headings shift under the heading the text sits below: the text's highest heading (`#`, or `##`
  // when it starts there) is h4 in an update on the status page (under its incident's h3), never a
  // page-size h1, and never a level skipped; deeper ones follow, down to h6.
  md.core.ruler.push('shift_headings', (state) => {
    const env = state.env as { top?: number } | undefined;
    const top = env?.top ?? 4;
    const headings = state.tokens.filter((t) => t.type === 'heading_open' || t.type === 'heading_close');
    const highest = Math.min(...headings.map((t) => Number(t.tag.slice(1))));
    for (const token of headings) token.tag = `h${Math.min(6, Number(token.tag.slice(1)) - highest + top)}`;
  });
  return (text, top = 4) => md.render(text, { top });
}
