import type MarkdownIt from 'markdown-it';
import type { Token } from 'markdown-it';
import { markdownParser } from './markdown.js';

/**
 * Operator Markdown → readable plain text, for the text part of mail: what a reader of the HTML part
 * sees, without the markup. Walks the token stream of the very parser (and options) that renders the
 * HTML part, so both parts agree on what is a link, a list or a paragraph: emphasis markers dropped,
 * links as "text (url)", list items with their markers (nested ones indented), headings as lines of
 * their own, code kept as typed (blocks indented by four spaces), quotes as "> ", no HTML and no
 * entities (raw HTML is off in the parser, so typed tags stay text, as the HTML part shows them).
 */
export function createMarkdownText(md: MarkdownIt = markdownParser()): (text: string) => string {
  // Only blank lines are trimmed at the start: a text opening with a code block keeps its indent.
  return (text) => blocks(md.parse(text, {}), 0, undefined).out.join('\n\n').replace(/^\n+/, '').trimEnd();
}

interface Walked {
  out: string[];
  /** The index of the token that stopped the walk (its closing token), or the end. */
  next: number;
}

/** The blocks between `start` and the token of type `stop` at this level, each block as text. */
function blocks(tokens: Token[], start: number, stop: string | undefined): Walked {
  const out: string[] = [];
  let i = start;
  while (i < tokens.length) {
    const t = tokens[i] as Token;
    if (t.type === stop) break;
    switch (t.type) {
      case 'paragraph_open':
      case 'heading_open': {
        const inline = tokens[i + 1];
        out.push(inline?.type === 'inline' ? inlineText(inline.children ?? []) : '');
        i += 3;
        continue;
      }
      case 'bullet_list_open':
      case 'ordered_list_open': {
        const list = listText(tokens, i);
        out.push(list.out.join('\n'));
        i = list.next + 1;
        continue;
      }
      case 'blockquote_open': {
        const inner = blocks(tokens, i + 1, 'blockquote_close');
        out.push(prefixLines(inner.out.join('\n\n'), '> ', '> '));
        i = inner.next + 1;
        continue;
      }
      case 'table_open': {
        const table = tableText(tokens, i);
        out.push(table.out.join('\n'));
        i = table.next + 1;
        continue;
      }
      case 'fence':
      case 'code_block':
        out.push(prefixLines(t.content.replace(/\n$/, ''), '    ', '    '));
        break;
      case 'hr':
        out.push('----');
        break;
      default:
        // html_block never comes (raw HTML is off); anything else unknown says nothing rather than markup.
        break;
    }
    i += 1;
  }
  return { out, next: i };
}

/** A list from its opening token: each item its marker ("-", "*", "1.", "2)") and its blocks, indented under it. */
function listText(tokens: Token[], open: number): Walked {
  const list = tokens[open] as Token;
  const ordered = list.type === 'ordered_list_open';
  const isClose = (t: Token | undefined) => t?.type === (ordered ? 'ordered_list_close' : 'bullet_list_close') && t.level === list.level;
  let end = open + 1;
  while (end < tokens.length && !isClose(tokens[end])) end += 1;
  // markdown-it hides the paragraphs of a tight list (no blank lines between items); a loose one keeps them.
  const tight = !tokens.slice(open, end).some((t) => t.type === 'paragraph_open' && t.level === list.level + 2 && !t.hidden);
  const gap = tight ? '\n' : '\n\n';
  let n = Number(list.attrGet('start') ?? 1);
  const items: string[] = [];
  for (let i = open + 1; i < end; i += 1) {
    const item = tokens[i] as Token;
    if (item.type !== 'list_item_open') continue;
    const inner = blocks(tokens, i + 1, 'list_item_close');
    // The number as the HTML part shows it (counted from the first), with the delimiter typed ("." or ")").
    const marker = ordered ? `${n}${item.markup}` : item.markup;
    n += 1;
    items.push(prefixLines(inner.out.join(gap), `${marker} `, ' '.repeat(marker.length + 1)).trimEnd());
    i = inner.next;
  }
  return { out: [items.join(gap)], next: end };
}

/** A table as rows of cells separated by " | ", the header row first. */
function tableText(tokens: Token[], open: number): Walked {
  const rows: string[] = [];
  let cells: string[] = [];
  let i = open + 1;
  while (i < tokens.length && tokens[i]?.type !== 'table_close') {
    const t = tokens[i] as Token;
    if (t.type === 'inline') cells.push(inlineText(t.children ?? []));
    if (t.type === 'tr_close') {
      rows.push(cells.join(' | '));
      cells = [];
    }
    i += 1;
  }
  return { out: rows, next: i };
}

/** Inline tokens as text: markers dropped, links and images followed by their address unless it is their text. */
function inlineText(children: Token[]): string {
  let out = '';
  const links: { href: string; from: number; auto: boolean }[] = [];
  for (const t of children) {
    switch (t.type) {
      case 'text':
        out += t.content;
        break;
      case 'code_inline':
        out += `\`${t.content}\``;
        break;
      case 'softbreak':
      case 'hardbreak':
        out += '\n';
        break;
      case 'link_open':
        links.push({ href: t.attrGet('href') ?? '', from: out.length, auto: t.markup === 'linkify' || t.markup === 'autolink' });
        break;
      case 'link_close': {
        const link = links.pop();
        if (!link) break;
        const label = out.slice(link.from).trim();
        if (!label) out += link.href;
        else if (!link.auto && !sameAddress(label, link.href)) out += ` (${link.href})`;
        break;
      }
      case 'image': {
        const src = t.attrGet('src') ?? '';
        const alt = t.content.trim();
        out += alt && !sameAddress(alt, src) ? `${alt} (${src})` : src;
        break;
      }
      default:
        // strong, em and s markers, and nothing else, come here: dropped.
        break;
    }
  }
  return out;
}

/** Whether a link's text already is its address ("example.com", "ops@example.com", the URL itself). */
function sameAddress(label: string, href: string): boolean {
  if (!label) return false;
  return [href, href.replace(/^mailto:/, ''), href.replace(/^https?:\/\//, ''), href.replace(/^https?:\/\//, '').replace(/\/$/, '')].includes(label);
}

function prefixLines(text: string, first: string, rest: string): string {
  return text
    .split('\n')
    .map((line, n) => (line === '' && n > 0 ? rest.trimEnd() : (n === 0 ? first : rest) + line))
    .join('\n');
}
