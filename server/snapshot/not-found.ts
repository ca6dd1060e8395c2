import type { Views } from '../render/engine.js';
import { badgeSvg, EMBEDDABLE, SVG } from './badges.js';
import { makeBody, type Body } from './body.js';
import { ATOM, RSS } from './feeds.js';
import { NOT_FOUND } from './public-paths.js';
import { xmlText } from './xml.js';

const MESSAGE = 'Page not found';
/** As the feeds: a feed reader in a browser may read the answer. */
const CORS = { 'Access-Control-Allow-Origin': '*' };

/**
 * The read model's answers to a document path it holds nothing at, served with a 404 (fast-path.ts):
 * the error page, Statuspage's JSON error, an empty feed, a grey badge, an empty calendar. Made once per
 * build of the page's name and branding, so that a made-up URL costs what a document costs.
 */
export function notFoundDocuments(views: Views, common: { pageName: string; timeZone: string } & Record<string, unknown>): [string, Body][] {
  const page = views.render('public/error', { ...common, title: 'Not found', status: 404, message: MESSAGE }, 'public');
  const json = JSON.stringify({ error: { code: 'not_found', message: 'No such endpoint', fields: {} } });
  const title = xmlText(`${common.pageName} – not found`);
  const atom = `<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"><title>${title}</title></feed>\n`;
  const rss = `<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>${title}</title></channel></rss>\n`;
  const calendar = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Pharos//not found//EN', 'END:VCALENDAR', ''].join('\r\n');
  return [
    [NOT_FOUND.page, makeBody(page, 'text/html; charset=utf-8')],
    [NOT_FOUND.json, makeBody(json, 'application/json; charset=utf-8')],
    [NOT_FOUND.atom, makeBody(atom, ATOM, CORS)],
    [NOT_FOUND.rss, makeBody(rss, RSS, CORS)],
    [NOT_FOUND.badge, makeBody(badgeSvg('status', 'not found', '#767676'), SVG, EMBEDDABLE)],
    [NOT_FOUND.calendar, makeBody(calendar, 'text/calendar; charset=utf-8')],
  ];
}
