import type { Deps } from '../../context.js';
import type { Db } from '../../db/open.js';
import { NotFound } from '../../errors.js';
import { newId } from '../../lib/ids.js';
import type { Actor } from '../access/actors.js';
import { audit } from '../access/audit.js';
import type { ComponentStatus } from '../page/status.js';
import { auditedWrite } from '../write-path.js';
import { saveAlertGroup } from './alert-groups.js';
import type { Incident } from './queries.js';
import { createIncident } from './writes.js';

/**
 * Drafts: what alerts from a key that holds them for approval would have opened. A draft is no
 * incident (nothing public is written); the dashboard lists it with Publish and Discard. Publishing
 * opens the incident as the alerts asked, and the alert group follows it from then on.
 */
export interface AlertDraft {
  id: string;
  source: 'alertmanager' | 'grafana';
  group_key: string;
  api_key_id: string | null;
  name: string;
  body: string;
  components: Record<string, ComponentStatus>;
  notify: boolean;
  signature: string;
  created_at: string;
  updated_at: string;
}

type Row = Omit<AlertDraft, 'components' | 'notify'> & { components: string; notify: number };
const fromRow = (r: Row): AlertDraft => ({ ...r, components: JSON.parse(r.components) as Record<string, ComponentStatus>, notify: r.notify === 1 });

/** Does this key hold its alerts for approval (Admin → API keys)? */
export function holdsAlerts(db: Db, apiKeyId: string): boolean {
  return db.prepare('SELECT hold_alerts FROM api_keys WHERE id = ?').pluck().get(apiKeyId) === 1;
}

export function findDraft(db: Db, source: AlertDraft['source'], groupKey: string): AlertDraft | undefined {
  const row = db.prepare('SELECT * FROM alert_drafts WHERE source = ? AND group_key = ?').get(source, groupKey) as Row | undefined;
  return row && fromRow(row);
}

export function listDrafts(db: Db): AlertDraft[] {
  return (db.prepare('SELECT * FROM alert_drafts ORDER BY created_at').all() as Row[]).map(fromRow);
}

function getDraft(db: Db, id: string): AlertDraft {
  const row = db.prepare('SELECT * FROM alert_drafts WHERE id = ?').get(id) as Row | undefined;
  if (!row) throw new NotFound('No such draft: it was published or discarded already');
  return fromRow(row);
}

/** A notification for a held group: the draft as the alerts ask now (created, or brought up to date). */
export function saveDraft(
  ctx: Deps<'clock' | 'db'>,
  actor: Actor,
  d: Pick<AlertDraft, 'source' | 'group_key' | 'name' | 'body' | 'components' | 'notify' | 'signature'>,
): AlertDraft {
  const now = ctx.clock.now().toISOString();
  const keyId = actor.type === 'api_key' ? actor.id : null;
  auditedWrite(ctx, { action: 'alert.drafted', actor }, () => {
    ctx.db
      .prepare(
        `INSERT INTO alert_drafts (id, source, group_key, api_key_id, name, body, components, notify, signature, created_at, updated_at)
         VALUES (@id, @source, @group_key, @key, @name, @body, @components, @notify, @signature, @now, @now)
         ON CONFLICT (source, group_key) DO UPDATE SET name = excluded.name, body = excluded.body, components = excluded.components,
           notify = excluded.notify, signature = excluded.signature, updated_at = excluded.updated_at`,
      )
      .run({ ...d, id: newId(), key: keyId, components: JSON.stringify(d.components), notify: d.notify ? 1 : 0, now });
    return { result: undefined, subject: d.group_key, detail: { name: d.name, components: d.components } };
  });
  return findDraft(ctx.db, d.source, d.group_key) as AlertDraft;
}

/** The alerts resolved before anyone published: the draft goes, and nothing ever showed. */
export function dropDraft(ctx: Deps<'clock' | 'db'>, actor: Actor, id: string, action: 'alert.draft_resolved' | 'alert.draft_discarded'): void {
  const draft = getDraft(ctx.db, id);
  auditedWrite(ctx, { action, actor }, () => {
    ctx.db.prepare('DELETE FROM alert_drafts WHERE id = ?').run(id);
    return { result: undefined, subject: draft.group_key, detail: { name: draft.name } };
  });
}

/**
 * An operator publishes a draft: the incident opens as the alerts ask, through the one write path. It
 * is the alerts' incident (written in the key's name, so later alerts go on updating it); the audit log
 * records who published it, in the same transaction.
 */
export function publishDraft(ctx: Deps<'bus' | 'clock' | 'config' | 'db'>, actor: Actor, id: string): Incident {
  const draft = getDraft(ctx.db, id);
  const key = draft.api_key_id
    ? (ctx.db.prepare('SELECT id, name FROM api_keys WHERE id = ?').get(draft.api_key_id) as { id: string; name: string } | undefined)
    : undefined;
  const alerts: Actor = key ? { type: 'api_key', id: key.id, name: key.name } : actor;
  return createIncident(
    ctx,
    alerts,
    { name: draft.name, status: 'investigating', body: draft.body, components: draft.components, deliver_notifications: draft.notify },
    {
      alongside: (incident) => {
        saveAlertGroup(
          ctx.db,
          {
            source: draft.source,
            group_key: draft.group_key,
            incident_id: incident.id,
            signature: draft.signature,
            statuses: draft.components,
            set_name: draft.name,
          },
          ctx.clock.now().toISOString(),
        );
        // Published once: a second operator (another process) publishing the same draft rolls back.
        if (ctx.db.prepare('DELETE FROM alert_drafts WHERE id = ?').run(id).changes !== 1) throw new NotFound('This draft was published or discarded already');
        audit(ctx.db, actor, 'alert.draft_published', incident.id, { name: draft.name, group: draft.group_key }, ctx.clock.now());
      },
    },
  );
}
