import { z } from 'zod';
import type { Deps } from '../../context.js';
import type { Db } from '../../db/open.js';
import { HttpError, Invalid, NotFound } from '../../errors.js';
import { newId } from '../../lib/ids.js';
import { parseInput, singleLine, withoutBidiControls } from '../../lib/validate.js';
import { authorName, type Actor } from '../access/actors.js';
import { auditedWrite } from '../write-path.js';
import {
  communicationFields,
  communicationInput,
  correctionProblem,
  getCommunication,
  publishCommunication,
  versionsOf,
  type Communication,
  type CommunicationInput,
  type NoticeText,
} from './communications.js';

/**
 * Drafts of official notices, as postmortems have them: a notice is never edited once published, so
 * it is written as a draft (any field may still be missing), saved as often as needed, previewed as
 * its page and its mail will show it, and only then published through the one write path. A draft is
 * an admin write the public does not see (audited, no page event), kept in a table of its own.
 */
export interface NoticeDraft extends NoticeText {
  id: string;
  revision: number;
  created_by: string;
  created_at: string;
  updated_by: string;
  updated_at: string;
}

/** The notice's fields with its limits, none of them required yet (a title may come last). */
export const draftInput = communicationFields.extend({
  title: z
    .string({ invalid_type_error: 'Must be text' })
    .transform(withoutBidiControls)
    .pipe(z.string().trim().max(200, 'Use at most 200 characters').refine(singleLine, 'Must be a single line without control characters'))
    .default(''),
});
export type DraftInput = z.input<typeof draftInput>;

/** Saved (or published) by someone else since the form was opened: nothing is written. */
export class DraftChanged extends HttpError {
  constructor(message: string) {
    // As a field error of the form: the form comes back with what was typed, and the message.
    super(409, 'draft_changed', message, { form: message });
  }
}

export function getNoticeDraft(db: Db, id: string): NoticeDraft {
  const draft = db.prepare('SELECT * FROM communication_drafts WHERE id = ?').get(id) as NoticeDraft | undefined;
  if (draft) return draft;
  // Published already (a draft's id becomes its notice's): say so rather than "not found".
  if (db.prepare('SELECT 1 FROM communications WHERE id = ?').get(id)) {
    throw new DraftChanged('This draft has been published: a published notice is never edited. Open it to publish a correction.');
  }
  throw new NotFound('No such draft');
}

/** Whether `id` names a draft, a notice published from one (or any notice), or nothing. */
export function draftState(db: Db, id: string): 'draft' | 'published' | 'none' {
  if (db.prepare('SELECT 1 FROM communication_drafts WHERE id = ?').get(id)) return 'draft';
  return db.prepare('SELECT 1 FROM communications WHERE id = ?').get(id) ? 'published' : 'none';
}

/** Every draft, the most recently saved first. */
export function listNoticeDrafts(db: Db): NoticeDraft[] {
  return db.prepare('SELECT * FROM communication_drafts ORDER BY updated_at DESC, rowid DESC').all() as NoticeDraft[];
}

/** The draft's fields as a notice's input (what publishing it would be given). */
export function draftFields(draft: NoticeDraft): CommunicationInput {
  const { category, title, what_happened, data_involved, consequences, measures, what_to_do, contact, body, incident_id } = draft;
  return { category, title, what_happened, data_involved, consequences, measures, what_to_do, contact, body, incident_id };
}

function checkIncident(db: Db, id: string | null): void {
  if (id && !db.prepare('SELECT 1 FROM incidents WHERE id = ?').get(id)) throw new Invalid({ incident_id: 'No such incident' });
}

/** A new draft; with `replacesId`, of a correction to that version (which must be its notice's newest). */
export function createNoticeDraft(ctx: Deps<'clock' | 'db'>, actor: Actor, given: DraftInput, replacesId?: string): NoticeDraft {
  const input = parseInput(draftInput, given);
  const previous = replacesId ? getCommunication(ctx.db, replacesId) : undefined;
  const id = newId();
  auditedWrite(ctx, { action: 'communication.draft_created', actor }, () => {
    checkIncident(ctx.db, input.incident_id);
    const stale = previous && correctionProblem(ctx.db, previous);
    if (stale) throw new Invalid({ form: stale });
    const now = ctx.clock.now().toISOString();
    const who = authorName(actor);
    ctx.db
      .prepare(
        `INSERT INTO communication_drafts (id, replaces_id, category, title, what_happened, data_involved, consequences, measures,
           what_to_do, contact, body, incident_id, revision, created_by, created_at, updated_by, updated_at)
         VALUES (@id, @replaces, @category, @title, @what_happened, @data_involved, @consequences, @measures,
           @what_to_do, @contact, @body, @incident_id, 1, @who, @now, @who, @now)`,
      )
      .run({ ...input, id, replaces: previous?.id ?? null, who, now });
    return { result: undefined, subject: id, detail: { title: input.title, category: input.category, replaces_id: previous?.id ?? null } };
  });
  return getNoticeDraft(ctx.db, id);
}

/** Someone saved the draft since the revision a save or a publication was made from: refused, saying what to do. */
function changedSince(draft: NoticeDraft, doing: 'save' | 'publish'): DraftChanged {
  return new DraftChanged(
    doing === 'save'
      ? `${draft.updated_by} saved this draft after you opened it, so nothing was saved. Saving again replaces their text with yours: open the draft in another tab to compare first.`
      : `${draft.updated_by} saved this draft after you previewed it, so nothing was published. This is the draft as it is now: check it, then publish.`,
  );
}

/** Saves the draft as typed, if nobody saved it since `revision` (the one the form was opened at). */
export function updateNoticeDraft(ctx: Deps<'clock' | 'db'>, actor: Actor, id: string, given: DraftInput, revision: number): NoticeDraft {
  const input = parseInput(draftInput, given);
  auditedWrite(ctx, { action: 'communication.draft_saved', actor }, () => {
    const draft = getNoticeDraft(ctx.db, id);
    if (draft.revision !== revision) throw changedSince(draft, 'save');
    checkIncident(ctx.db, input.incident_id);
    ctx.db
      .prepare(
        `UPDATE communication_drafts SET category = @category, title = @title, what_happened = @what_happened,
           data_involved = @data_involved, consequences = @consequences, measures = @measures, what_to_do = @what_to_do,
           contact = @contact, body = @body, incident_id = @incident_id, revision = revision + 1, updated_by = @who, updated_at = @now
         WHERE id = @id`,
      )
      .run({ ...input, id, who: authorName(actor), now: ctx.clock.now().toISOString() });
    return { result: undefined, subject: id, detail: { title: input.title, category: input.category, revision: revision + 1 } };
  });
  return getNoticeDraft(ctx.db, id);
}

export function deleteNoticeDraft(ctx: Deps<'clock' | 'db'>, actor: Actor, id: string): void {
  auditedWrite(ctx, { action: 'communication.draft_deleted', actor }, () => {
    const draft = getNoticeDraft(ctx.db, id);
    ctx.db.prepare('DELETE FROM communication_drafts WHERE id = ?').run(id);
    return { result: undefined, subject: id, detail: { title: draft.title, category: draft.category } };
  });
}

/** What stands between the draft and its publication, by field (`form` for the notice as a whole). */
export function publishProblems(db: Db, draft: NoticeDraft): Record<string, string> {
  const problems: Record<string, string> = {};
  try {
    parseInput(communicationInput, draftFields(draft));
  } catch (err) {
    if (!(err instanceof Invalid)) throw err;
    Object.assign(problems, err.fields);
  }
  const stale = draft.replaces_id ? correctionProblem(db, getCommunication(db, draft.replaces_id)) : undefined;
  if (stale) problems.form = stale;
  return problems;
}

/**
 * The notice the draft would publish, as of `now` and by `author`, with its notice's versions as its
 * page would list them: what the previews render (its id is the draft's, which the notice will keep).
 */
export function draftAsNotice(db: Db, draft: NoticeDraft, author: string, now: Date): { notice: Communication; versions: Communication[] } {
  const previous = draft.replaces_id ? getCommunication(db, draft.replaces_id) : undefined;
  const older = previous ? versionsOf(db, previous.series_id) : [];
  const notice: Communication = {
    ...draft,
    series_id: previous?.series_id ?? draft.id,
    version: (older[0]?.version ?? 0) + 1,
    replaces_id: previous?.id ?? null,
    author,
    published_at: now.toISOString(),
  };
  return { notice, versions: previous ? [notice, ...older] : [] };
}

/**
 * Publishes the draft as it was at `revision` (the one previewed): the notice, under the draft's id,
 * its deliveries and the draft's removal in one transaction, so it is published once whoever clicks.
 */
export function publishNoticeDraft(ctx: Deps<'bus' | 'clock' | 'config' | 'db'>, actor: Actor, id: string, revision: number): Communication {
  const draft = getNoticeDraft(ctx.db, id);
  if (draft.revision !== revision) throw changedSince(draft, 'publish');
  return publishCommunication(ctx, actor, draftFields(draft), draft.replaces_id ?? undefined, {
    id,
    alongside: () => {
      // Claimed in the transaction: a save or a publication that got there first is seen here.
      if (ctx.db.prepare('DELETE FROM communication_drafts WHERE id = ? AND revision = ?').run(id, revision).changes === 1) return;
      throw changedSince(getNoticeDraft(ctx.db, id), 'publish');
    },
  });
}
