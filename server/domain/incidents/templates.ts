import { z } from 'zod';
import type { Deps } from '../../context.js';
import type { Db } from '../../db/open.js';
import { Invalid, NotFound } from '../../errors.js';
import { newId } from '../../lib/ids.js';
import { enumOf, flag, longText, nameText, parseInput, singleLine, withoutBidiControls } from '../../lib/validate.js';
import type { Actor } from '../access/actors.js';
import { findComponent } from '../page/components.js';
import { INCIDENT_STATUSES } from '../page/status.js';
import { auditedWrite } from '../write-path.js';

/**
 * Incident templates (Statuspage's incident_templates): what the new-incident form starts from. A template
 * gives the incident's title, the first update's message, status and notification choice, and the
 * components it lists as affected; its group (a component group) says where the picker lists it. The
 * public never sees a template, so its writes go through auditedWrite, not commitChange.
 */

export interface IncidentTemplate {
  id: string;
  name: string;
  title: string;
  body: string;
  group_id: string | null;
  update_status: (typeof INCIDENT_STATUSES)[number];
  should_send_notifications: boolean;
  component_ids: string[];
  created_at: string;
  updated_at: string;
}

interface TemplateRow extends Omit<IncidentTemplate, 'should_send_notifications' | 'component_ids'> {
  should_send_notifications: number;
}

/** An incident's title, or nothing (the form's name is then left as typed). */
const titleText = z
  .string({ invalid_type_error: 'Must be text' })
  .transform(withoutBidiControls)
  .pipe(z.string().trim().max(200, 'Use at most 200 characters').refine(singleLine, 'Must be a single line without control characters'));

const id = (what: string) => z.string({ invalid_type_error: `Must be a ${what} id` }).regex(/^[a-z0-9]{1,64}$/, `No such ${what}`);

export const templateInput = z.object({
  name: nameText(100),
  title: titleText.default(''),
  body: longText(20_000).default(''),
  group_id: z
    .union([id('group'), z.literal(''), z.null()], { errorMap: () => ({ message: 'No such group' }) })
    .optional()
    .transform((v) => (v ? v : null)),
  update_status: enumOf(INCIDENT_STATUSES, 'Status').default('investigating'),
  should_send_notifications: flag.default(true),
  component_ids: z
    .array(id('component'), { invalid_type_error: 'Must be a list of component ids' })
    .max(500, 'At most 500 components')
    .default([])
    .transform((ids) => [...new Set(ids)]),
});
export type TemplateInput = z.input<typeof templateInput>;

const fromRow = (db: Db, r: TemplateRow): IncidentTemplate => ({
  ...r,
  should_send_notifications: r.should_send_notifications === 1,
  component_ids: templateComponents(db, r.id),
});

/** The components a template lists, in page order (groups' members within their group). */
function templateComponents(db: Db, templateId: string): string[] {
  return db
    .prepare(
      `SELECT c.id FROM incident_template_components tc JOIN components c ON c.id = tc.component_id
       LEFT JOIN component_groups g ON g.id = c.group_id
       WHERE tc.template_id = ? ORDER BY COALESCE(g.position, c.position), g.id IS NOT NULL, g.id, c.position, c.created_at`,
    )
    .pluck()
    .all(templateId) as string[];
}

/** Every template, in the order they were added (the built-in ones first, in their old order). */
export function listTemplates(db: Db, limit = -1, offset = 0): IncidentTemplate[] {
  const rows = db.prepare('SELECT * FROM incident_templates ORDER BY rowid LIMIT ? OFFSET ?').all(limit, offset) as TemplateRow[];
  return rows.map((r) => fromRow(db, r));
}

export function findTemplate(db: Db, templateId: string): IncidentTemplate | undefined {
  const row = db.prepare('SELECT * FROM incident_templates WHERE id = ?').get(templateId) as TemplateRow | undefined;
  return row && fromRow(db, row);
}

export function getTemplate(db: Db, templateId: string): IncidentTemplate {
  const t = findTemplate(db, templateId);
  if (!t) throw new NotFound('No such template');
  return t;
}

/** The group and the components must exist: checked inside the write's transaction. */
function checkReferences(db: Db, input: z.output<typeof templateInput>): void {
  const fields: Record<string, string> = {};
  if (input.group_id && !db.prepare('SELECT 1 FROM component_groups WHERE id = ?').get(input.group_id)) fields.group_id = 'No such group';
  if (input.component_ids.some((c) => !findComponent(db, c))) fields.component_ids = 'No such component';
  if (Object.keys(fields).length) throw new Invalid(fields);
}

function writeComponents(db: Db, templateId: string, componentIds: string[]): void {
  db.prepare('DELETE FROM incident_template_components WHERE template_id = ?').run(templateId);
  const link = db.prepare('INSERT INTO incident_template_components (template_id, component_id) VALUES (?, ?)');
  for (const c of componentIds) link.run(templateId, c);
}

export function createTemplate(ctx: Deps<'clock' | 'db'>, actor: Actor, given: TemplateInput): IncidentTemplate {
  const input = parseInput(templateInput, given);
  return auditedWrite(ctx, { action: 'template.created', actor }, () => {
    checkReferences(ctx.db, input);
    const now = ctx.clock.now().toISOString();
    const templateId = newId();
    ctx.db
      .prepare(
        `INSERT INTO incident_templates (id, name, title, body, group_id, update_status, should_send_notifications, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(templateId, input.name, input.title, input.body, input.group_id, input.update_status, input.should_send_notifications ? 1 : 0, now, now);
    writeComponents(ctx.db, templateId, input.component_ids);
    const created = getTemplate(ctx.db, templateId);
    return { result: created, subject: templateId, detail: { after: created } };
  });
}

/** Replaces every field of a template (the admin's form sends them all). */
export function updateTemplate(ctx: Deps<'clock' | 'db'>, actor: Actor, templateId: string, given: TemplateInput): IncidentTemplate {
  const input = parseInput(templateInput, given);
  return auditedWrite(ctx, { action: 'template.updated', actor }, () => {
    const before = getTemplate(ctx.db, templateId);
    checkReferences(ctx.db, input);
    ctx.db
      .prepare(
        `UPDATE incident_templates SET name = ?, title = ?, body = ?, group_id = ?, update_status = ?, should_send_notifications = ?,
           updated_at = ? WHERE id = ?`,
      )
      .run(
        input.name,
        input.title,
        input.body,
        input.group_id,
        input.update_status,
        input.should_send_notifications ? 1 : 0,
        ctx.clock.now().toISOString(),
        templateId,
      );
    writeComponents(ctx.db, templateId, input.component_ids);
    const after = getTemplate(ctx.db, templateId);
    return { result: after, subject: templateId, detail: { before, after } };
  });
}

export function deleteTemplate(ctx: Deps<'clock' | 'db'>, actor: Actor, templateId: string): void {
  auditedWrite(ctx, { action: 'template.deleted', actor }, () => {
    const before = getTemplate(ctx.db, templateId);
    ctx.db.prepare('DELETE FROM incident_templates WHERE id = ?').run(templateId);
    return { result: undefined, subject: templateId, detail: { before } };
  });
}
