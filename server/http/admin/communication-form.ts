import type { Context } from '../../context.js';
import { deadlineOf, openClocks } from '../../domain/incidents/data-protection.js';
import { findIncident, listRecent } from '../../domain/incidents/queries.js';
import { CATEGORIES, CATEGORY_LABELS, DATA_PROTECTION_FIELDS, type Communication } from '../../domain/subscribers/communications.js';
import { formatDuration } from '../../render/format.js';
import { field } from '../respond.js';

const FIELDS = ['category', 'title', 'what_happened', 'data_involved', 'consequences', 'measures', 'what_to_do', 'contact', 'body', 'incident_id'];

/** A notice's fields from the form, each a string ('' when absent). */
export function communicationFields(body: Record<string, string | string[]>): Record<string, string> {
  return Object.fromEntries(FIELDS.map((name) => [name, field(body, name) ?? '']));
}

/** A published version's fields as the form shows them (a correction starts from them). */
export function noticeValues(notice: Communication): Record<string, string> {
  const { category, title, what_happened, data_involved, consequences, measures, what_to_do, contact, body, incident_id } = notice;
  return { category, title, what_happened, data_involved, consequences, measures, what_to_do, contact, body, incident_id: incident_id ?? '' };
}

/** Which button sent the notice's form: save the draft, save and preview it, or (forms from before drafts) publish at once. */
export function formAction(body: Record<string, string | string[]>): 'save' | 'preview' | 'publish' {
  const action = field(body, 'action');
  return action === 'save' || action === 'preview' ? action : 'publish';
}

/** What the notice's form lists to choose from. */
export function formChoices(ctx: Context) {
  return {
    nav: 'communications',
    categories: CATEGORIES.map((value) => ({ value, label: CATEGORY_LABELS[value] })),
    dpFields: DATA_PROTECTION_FIELDS,
    incidents: listRecent(ctx.db, 50),
  };
}

/**
 * The data-protection clock beside a notice being drafted (views/partials/admin/notice-clock.hbs): every
 * clock still running (GDPR Art. 33's 72 hours to notify the supervisory authority), soonest first, and
 * what the related incident's clock says. Drafting, previewing or publishing a notice to the people
 * affected (Art. 34) never stops it: recording the notification on the incident does.
 */
export function clockPanel(ctx: Context, category: string, incidentId: string | null | undefined) {
  const now = ctx.clock.now();
  const left = (deadline: string) => formatDuration(now.toISOString(), deadline);
  const clocks = openClocks(ctx, now).map((c) => ({
    id: c.incident.id,
    name: c.incident.name,
    deadline: c.deadline,
    left: left(c.deadline),
    overdue: c.overdue,
  }));
  const incident = incidentId ? findIncident(ctx.db, incidentId) : undefined;
  const deadline = incident ? deadlineOf(incident) : undefined;
  const related = incident && {
    id: incident.id,
    name: incident.name,
    running: clocks.some((c) => c.id === incident.id),
    notifiedAt: deadline ? incident.authority_notified_at : null,
    // A data-protection notice about an incident nobody flagged: no clock runs, though it probably should.
    unflagged: !deadline && category === 'data_protection' && incident.kind === 'incident',
  };
  const shown = clocks.length > 0 || Boolean(related?.notifiedAt) || Boolean(related?.unflagged);
  return shown ? { clocks, related } : undefined;
}
