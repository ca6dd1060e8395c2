import MarkdownIt from 'markdown-it';

// Raw HTML off; markdown-it's link validation already refuses javascript:, vbscript:, file: and most data: URLs.
const md = new MarkdownIt({ html: false, linkify: true, breaks: true });

const defaultLinkOpen = md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  tokens[idx]?.attrSet('rel', 'nofollow noopener noreferrer');
  return defaultLinkOpen(tokens, idx, options, env, self);
};

/** Operator Markdown → safe HTML. */
export function renderMarkdown(text: string): string {
  return md.render(text);
}
