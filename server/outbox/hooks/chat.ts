import type { CoreContext as Context } from '../../context.js';
import { findIncident } from '../../domain/incidents/queries.js';
import { COMPONENT_STATUS_LABELS, INCIDENT_STATUS_LABELS, type Impact } from '../../domain/page/status.js';
import { CATEGORY_LABELS, getCommunication } from '../../domain/subscribers/communications.js';
import type { ChatKind } from '../../domain/subscribers/endpoints.js';
import type { Delivery } from '../../domain/subscribers/outbox.js';
import { getBranding } from '../../domain/page/branding.js';
import { pageZone } from '../../domain/page/time-zone.js';
import { formatDateTime } from '../../lib/time.js';

/** What every chat message says, whichever service shows it. */
export interface ChatMessage {
  title: string;
  url: string;
  /** "Identified", "Maintenance scheduled", "Security advisory"… */
  label: string;
  text: string;
  /** "API: Major outage", one per affected component, in page order. */
  facts: string[];
  colour: string;
  page: string;
}

/** The status colours of the page (public/css/pharos.css): a chat message looks like the page. */
const IMPACT_COLOURS: Record<Impact | 'resolved' | 'notice', string> = {
  none: '#1a7f4b',
  minor: '#a15c00',
  major: '#c2410c',
  critical: '#b91c1c',
  maintenance: '#2f5fb3',
  resolved: '#1a7f4b',
  notice: '#2f5fb3',
};

/**
 * A chat message carries the start of a long update (bodies may run to 20,000 characters; Slack refuses
 * a section over 3,000) and links to the page for the rest.
 */
function clip(text: string): string {
  return text.length > 600 ? `${text.slice(0, 600).trimEnd()}… (more on the page)` : text;
}

export function chatMessage(ctx: Context, row: Delivery): ChatMessage | { skip: string } {
  const page = getBranding(ctx.db, ctx.config).pageName;
  const base = ctx.config.publicUrl;
  if (row.kind === 'endpoint_test') {
    return {
      title: `Test message from ${page}`,
      url: `${base}/`,
      label: 'Test',
      text: 'This channel will get the updates it was set up for.',
      facts: [],
      colour: IMPACT_COLOURS.none,
      page,
    };
  }
  if (row.kind === 'communication') {
    const notice = getCommunication(ctx.db, row.subject_id);
    const text = clip(notice.body);
    return {
      title: notice.title,
      url: `${base}/notices/${notice.id}`,
      label: CATEGORY_LABELS[notice.category],
      text,
      facts: [],
      colour: IMPACT_COLOURS.notice,
      page,
    };
  }
  const incident = findIncident(ctx.db, row.thread_id ?? row.subject_id);
  if (!incident) return { skip: 'The incident was deleted before the message was sent' };
  const url = `${base}/incidents/${incident.id}`;
  const zone = pageZone(ctx);
  if (row.kind === 'maintenance_reminder') {
    const when = `${formatDateTime(incident.scheduled_for ?? '', zone)} to ${formatDateTime(incident.scheduled_until ?? '', zone)}`;
    return {
      title: incident.name,
      url,
      label: 'Maintenance reminder',
      text: `Scheduled from ${when}.`,
      facts: incident.components.map((c) => c.name),
      colour: IMPACT_COLOURS.maintenance,
      page,
    };
  }
  const update = incident.incident_updates.find((u) => u.id === row.subject_id);
  if (!update) return { skip: 'The update was deleted before the message was sent' };
  const resolved = update.status === 'resolved' || update.status === 'postmortem' || update.status === 'completed';
  const facts = update.affected_components.length
    ? update.affected_components.map((c) => `${c.name}: ${COMPONENT_STATUS_LABELS[c.new_status]}`)
    : incident.components.map((c) => `${c.name}: ${COMPONENT_STATUS_LABELS[c.status]}`);
  const window =
    incident.kind === 'maintenance' && update.status === 'scheduled'
      ? ` (${formatDateTime(incident.scheduled_for ?? '', zone)} to ${formatDateTime(incident.scheduled_until ?? '', zone)})`
      : '';
  return {
    title: incident.name,
    url,
    label: `${incident.kind === 'maintenance' ? 'Maintenance ' : ''}${INCIDENT_STATUS_LABELS[update.status].toLowerCase()}`.replace(/^./, (c) =>
      c.toUpperCase(),
    ),
    text: `${clip(update.body)}${window}`,
    facts,
    colour: resolved ? IMPACT_COLOURS.resolved : IMPACT_COLOURS[incident.impact],
    page,
  };
}

/** Slack's mrkdwn and Google Chat's text both read &, < and > as markup: escaped, a name cannot become a link or a mention. */
const escSlack = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The request body each service's incoming webhook expects. */
export function chatBody(kind: ChatKind, m: ChatMessage): unknown {
  const summary = `${m.label}: ${m.title}`;
  switch (kind) {
    case 'slack':
      // Block Kit inside an attachment: the attachment's colour bar is the status colour.
      return {
        text: escSlack(`${summary} · ${m.page}`),
        attachments: [
          {
            color: m.colour,
            blocks: [
              { type: 'section', text: { type: 'mrkdwn', text: `*<${m.url}|${escSlack(m.title)}>*\n*${escSlack(m.label)}*: ${escSlack(m.text)}` } },
              ...(m.facts.length ? [{ type: 'context', elements: [{ type: 'mrkdwn', text: escSlack(m.facts.join(' · ')) }] }] : []),
            ],
          },
        ],
      };
    case 'teams':
      // A Workflows ("When a Teams webhook request is received") message with an Adaptive Card.
      return {
        type: 'message',
        attachments: [
          {
            contentType: 'application/vnd.microsoft.card.adaptive',
            contentUrl: null,
            content: {
              $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
              type: 'AdaptiveCard',
              version: '1.4',
              body: [
                { type: 'TextBlock', text: m.title, weight: 'Bolder', size: 'Medium', wrap: true },
                { type: 'TextBlock', text: m.label, color: m.colour === IMPACT_COLOURS.none ? 'Good' : 'Attention', weight: 'Bolder', spacing: 'None' },
                { type: 'TextBlock', text: m.text, wrap: true },
                ...(m.facts.length ? [{ type: 'FactSet', facts: m.facts.map((f) => ({ title: f.split(': ')[0] ?? f, value: f.split(': ')[1] ?? '' })) }] : []),
              ],
              actions: [{ type: 'Action.OpenUrl', title: 'Open the status page', url: m.url }],
            },
          },
        ],
      };
    case 'discord':
      return {
        username: m.page.slice(0, 80),
        embeds: [
          {
            title: m.title.slice(0, 256),
            url: m.url,
            description: `**${m.label}**: ${m.text}`.slice(0, 4096),
            color: Number.parseInt(m.colour.slice(1), 16),
            ...(m.facts.length ? { fields: [{ name: 'Components', value: m.facts.join('\n').slice(0, 1024) }] } : {}),
          },
        ],
        allowed_mentions: { parse: [] },
      };
    case 'google_chat':
      return {
        text: escSlack(summary),
        cardsV2: [
          {
            cardId: 'pharos-update',
            card: {
              header: { title: m.title, subtitle: `${m.label} · ${m.page}` },
              sections: [
                {
                  widgets: [
                    { textParagraph: { text: escSlack(m.text) } },
                    ...(m.facts.length ? [{ textParagraph: { text: m.facts.map(escSlack).join('<br>') } }] : []),
                    { buttonList: { buttons: [{ text: 'Open the status page', onClick: { openLink: { url: m.url } } }] } },
                  ],
                },
              ],
            },
          },
        ],
      };
  }
}
