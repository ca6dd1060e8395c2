import { z } from 'zod';
import type { Deps } from '../../context.js';
import { Invalid } from '../../errors.js';
import { flag, longText, parseInput } from '../../lib/validate.js';
import type { Actor } from '../access/actors.js';
import { DEFAULT_UPDATE_BODIES, isResolved } from '../page/status.js';
import { auditedWrite, commitChange } from '../write-path.js';
import { getIncident, type Incident } from './queries.js';
import { refreshImpact, patchIncident } from './writes.js';

/**
 * Postmortems, as Statuspage has them: once an incident is resolved an operator writes a draft (not
 * public: audited, no page event), publishes it (the incident's status becomes postmortem and an update
 * says so, mailed to subscribers if asked, and the page, the feeds and the API show the text), and may
 * revert it to a draft (the incident is resolved again and that update goes). Postmortem bodies are
 * Markdown, as updates are, up to 50,000 characters.
 */
export const POSTMORTEM_MAX = 50_000;
export const draftInput = z.object({ body_draft: longText(POSTMORTEM_MAX) }).passthrough();
export type DraftInput = z.input<typeof draftInput>;
export const publishInput = z.object({ notify_subscribers: flag.default(false) }).passthrough();
export type PublishInput = z.input<typeof publishInput>;

/** Statuspage's postmortem object. */
export function postmortemShape(i: Incident) {
  return {
    preview_key: null,
    body: i.postmortem_body,
    body_updated_at: i.postmortem_body_at,
    body_draft: i.postmortem_draft,
    body_draft_updated_at: i.postmortem_draft_at,
    published_at: i.postmortem_published_at,
    notify_subscribers: i.postmortem_notified === 1,
    notify_twitter: false,
    custom_tweet: null,
  };
}

function resolvedIncident(ctx: Deps<'db'>, id: string): Incident {
  const incident = getIncident(ctx.db, id);
  if (incident.kind !== 'incident' || !isResolved(incident.status)) {
    throw new Invalid({ postmortem: 'A postmortem is written once the incident is resolved (and maintenance has none)' });
  }
  return incident;
}

export function saveDraft(ctx: Deps<'clock' | 'db'>, actor: Actor, id: string, given: DraftInput): Incident {
  const input = parseInput(draftInput, given);
  resolvedIncident(ctx, id);
  auditedWrite(ctx, { action: 'postmortem.draft_saved', actor }, () => {
    ctx.db.prepare('UPDATE incidents SET postmortem_draft = ?, postmortem_draft_at = ? WHERE id = ?').run(input.body_draft, ctx.clock.now().toISOString(), id);
    return { result: undefined, subject: id, detail: { length: input.body_draft.length } };
  });
  return getIncident(ctx.db, id);
}

export function deleteDraft(ctx: Deps<'clock' | 'db'>, actor: Actor, id: string): Incident {
  getIncident(ctx.db, id);
  auditedWrite(ctx, { action: 'postmortem.draft_deleted', actor }, () => {
    ctx.db.prepare('UPDATE incidents SET postmortem_draft = NULL, postmortem_draft_at = NULL WHERE id = ?').run(id);
    return { result: undefined, subject: id };
  });
  return getIncident(ctx.db, id);
}

/**
 * Publishes the draft: a public change through the one write path (the update and its mail with it).
 * Published already, it replaces the text on the page in place: no second update, no second mail.
 */
export function publishPostmortem(ctx: Deps<'bus' | 'clock' | 'config' | 'db'>, actor: Actor, id: string, given: PublishInput): Incident {
  const input = parseInput(publishInput, given);
  const incident = resolvedIncident(ctx, id);
  const draft = incident.postmortem_draft?.trim();
  if (!draft) throw new Invalid({ body_draft: 'Write the postmortem first: there is no draft to publish' });
  if (incident.postmortem_published_at && incident.status === 'postmortem') {
    return commitChange(ctx, { cause: 'postmortem.republished', actor, subject: () => getIncident(ctx.db, id) }, () => {
      const now = ctx.clock.now().toISOString();
      ctx.db.prepare('UPDATE incidents SET postmortem_body = ?, postmortem_body_at = ?, updated_at = ? WHERE id = ?').run(draft, now, now, id);
      return { result: getIncident(ctx.db, id), ids: [id] };
    });
  }
  patchIncident(ctx, actor, id, { status: 'postmortem', body: DEFAULT_UPDATE_BODIES.postmortem, deliver_notifications: input.notify_subscribers }, () => {
    const now = ctx.clock.now().toISOString();
    // The update this publication posted: the incident's newest row (display times may be set to anything).
    const update = ctx.db.prepare('SELECT id FROM incident_updates WHERE incident_id = ? ORDER BY rowid DESC LIMIT 1').pluck().get(id) as string | undefined;
    ctx.db
      .prepare(
        `UPDATE incidents SET postmortem_body = ?, postmortem_body_at = ?, postmortem_published_at = ?, postmortem_notified = ?,
           postmortem_update_id = ? WHERE id = ?`,
      )
      .run(draft, now, now, input.notify_subscribers ? 1 : 0, update ?? null, id);
  });
  // The incident as published (patchIncident answers it as it was before its `alongside` write).
  return getIncident(ctx.db, id);
}

/** Back to a draft: the text goes off the page, the incident is resolved again, and its postmortem update goes. */
export function revertPostmortem(ctx: Deps<'bus' | 'clock' | 'db'>, actor: Actor, id: string): Incident {
  const incident = getIncident(ctx.db, id);
  if (!incident.postmortem_published_at || incident.status !== 'postmortem') {
    throw new Invalid({ postmortem: 'No published postmortem to revert (an incident reopened since is the operators’ to update)' });
  }
  return commitChange(ctx, { cause: 'postmortem.reverted', actor, subject: () => getIncident(ctx.db, id) }, () => {
    const now = ctx.clock.now().toISOString();
    if (incident.postmortem_update_id) ctx.db.prepare('DELETE FROM incident_updates WHERE id = ?').run(incident.postmortem_update_id);
    ctx.db
      .prepare(
        `UPDATE incidents SET status = 'resolved',
           postmortem_draft = CASE WHEN postmortem_draft_at >= postmortem_body_at THEN postmortem_draft ELSE postmortem_body END, postmortem_draft_at = ?,
           postmortem_body = NULL, postmortem_body_at = NULL, postmortem_published_at = NULL, postmortem_notified = 0,
           postmortem_update_id = NULL, updated_at = ? WHERE id = ?`,
      )
      .run(now, now, id);
    refreshImpact(ctx.db, id);
    return { result: getIncident(ctx.db, id), ids: [id] };
  });
}
