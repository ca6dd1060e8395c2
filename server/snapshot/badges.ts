import { COMPONENT_STATUS_LABELS, type ComponentStatus, type Indicator } from '../domain/page/status.js';
import type { TextDocument } from './feeds.js';
import type { PageState } from './build.js';
import { xmlAttr, xmlClean, xmlText } from './xml.js';

export const SVG = 'image/svg+xml; charset=utf-8';

/**
 * Badges are embedded in other sites' pages (a README, an intranet): helmet's same-origin resource
 * policy would keep browsers from showing them there.
 */
export const EMBEDDABLE = { 'Access-Control-Allow-Origin': '*', 'Cross-Origin-Resource-Policy': 'cross-origin' };

/**
 * public/css/pharos.css's banner fills (--banner-ok, -minor, -major, -critical, -maint): white text on
 * them reads at 4.5:1 or more, as on a badge.
 */
export const BADGE_COLOURS: Record<Indicator, string> = {
  none: '#1a7f4b',
  minor: '#9a5700',
  major: '#c2410c',
  critical: '#b91c1c',
  maintenance: '#2f5fb3',
};

/** A component's status in the page's colours, as .status--* picks them (degraded is --minor's hue, and so on). */
export const STATUS_INDICATORS: Record<ComponentStatus, Indicator> = {
  operational: 'none',
  degraded_performance: 'minor',
  partial_outage: 'major',
  major_outage: 'critical',
  under_maintenance: 'maintenance',
};

const LABEL_COLOUR = '#555';

/**
 * Verdana's advance widths (units of its 2048 em) for printable ASCII, from space to "~": the font
 * badges are drawn in, at 11 px. A character outside it is measured as its base letter ("é" as "e"),
 * else as wide as "M", so that text never overflows its box (textLength fits it to the box exactly).
 */
// prettier-ignore
const VERDANA = [
  720, 805, 934, 1676, 1302, 2208, 1497, 510, 909, 909, 1302, 1676, 745, 909, 745, 909, // space to /
  1302, 1302, 1302, 1302, 1302, 1302, 1302, 1302, 1302, 1302, 909, 909, 1676, 1676, 1676, 1117, // 0 to ?
  2048, 1401, 1405, 1430, 1577, 1294, 1178, 1587, 1540, 862, 919, 1415, 1141, 1726, 1532, 1643, // @ to O
  1235, 1643, 1432, 1401, 1255, 1503, 1401, 2032, 1403, 1255, 1403, 909, 909, 909, 1676, 1302, // P to _
  1302, 1229, 1271, 1063, 1271, 1219, 719, 1271, 1296, 561, 715, 1186, 561, 1995, 1296, 1233, // ` to o
  1271, 1271, 874, 1063, 807, 1296, 1186, 1675, 1186, 1186, 1054, 1300, 909, 1300, 1676, // p to ~
];
const WIDE = 1726;
const PX = 11 / 2048;

function advance(ch: string): number {
  const at = (c: string) => {
    const code = c.codePointAt(0) ?? 0;
    return code >= 0x20 && code <= 0x7e ? VERDANA[code - 0x20] : undefined;
  };
  return at(ch) ?? at(ch.normalize('NFD').charAt(0)) ?? WIDE;
}

/** The width of a text in Verdana 11 px, in pixels. */
export function textWidth(text: string): number {
  let units = 0;
  for (const ch of text) units += advance(ch);
  return units * PX;
}

/** The width of a text's box: rounded up to an odd number of pixels, so that its centre falls on the pixel grid. */
const boxOf = (text: string) => {
  const w = Math.ceil(textWidth(text));
  return w % 2 === 0 ? w + 1 : w;
};

/** Names are one line on a badge. */
const oneLine = (text: string) => xmlClean(text).replace(/\s+/g, ' ').trim();

/**
 * A flat badge as shields.io draws one: the label on grey, the message on its colour, 20 px high, text
 * with a faint shadow. Text is drawn at 10× and scaled down (finer positions); each text's textLength
 * is its measured width, so browsers without Verdana fit the fallback font to the same box.
 */
export function badgeSvg(labelText: string, messageText: string, colour: string): string {
  const label = oneLine(labelText) || 'status';
  const message = oneLine(messageText);
  const [labelBox, messageBox] = [boxOf(label), boxOf(message)];
  const left = labelBox + 10;
  const width = left + messageBox + 10;
  const spoken = xmlAttr(`${label}: ${message}`);
  const text = (value: string, centre: number, box: number) => {
    const at = `x="${centre * 10}" transform="scale(.1)" textLength="${box * 10}"`;
    return `<text aria-hidden="true" ${at} y="150" fill="#010101" fill-opacity=".3">${xmlText(value)}</text><text ${at} y="140">${xmlText(value)}</text>`;
  };
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="20" role="img" aria-label="${spoken}">`,
    `<title>${xmlText(`${label}: ${message}`)}</title>`,
    '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>',
    `<clipPath id="r"><rect width="${width}" height="20" rx="3" fill="#fff"/></clipPath>`,
    `<g clip-path="url(#r)"><rect width="${left}" height="20" fill="${LABEL_COLOUR}"/><rect x="${left}" width="${width - left}" height="20" fill="${colour}"/><rect width="${width}" height="20" fill="url(#s)"/></g>`,
    '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" text-rendering="geometricPrecision" font-size="110">',
    text(label, left / 2, labelBox),
    text(message, left + (width - left) / 2, messageBox),
    '</g>',
    '</svg>',
  ].join('\n');
}

/**
 * /badge.svg: the page's name and its overall status (Statuspage's description of the indicator);
 * /badge.svg?component=ID: a component's (or a group's) name and status.
 */
export function badgeDocuments(state: PageState, pageName: string): TextDocument[] {
  const page = badgeSvg(pageName, state.status.description, BADGE_COLOURS[state.status.indicator]);
  // A badge is small: made each time, its text is what it is made of.
  const out: TextDocument[] = [{ path: '/badge.svg', input: page, render: () => page, type: SVG, headers: EMBEDDABLE }];
  for (const c of state.v2.components) {
    const text = badgeSvg(c.name, COMPONENT_STATUS_LABELS[c.status], BADGE_COLOURS[STATUS_INDICATORS[c.status]]);
    out.push({ path: '/badge.svg', component: c.id, input: text, render: () => text, type: SVG, headers: EMBEDDABLE });
  }
  return out;
}
