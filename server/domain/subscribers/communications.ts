import { z } from 'zod';
import type { Deps } from '../../context.js';
import type { Db } from '../../db/open.js';
import { Invalid, NotFound } from '../../errors.js';
import { authorName, type Actor } from '../access/actors.js';
import { commitChange } from '../write-path.js';
import { newId } from '../../lib/ids.js';
import { enqueueCommunication } from './outbox.js';
import { enqueueEndpointsForCommunication } from './endpoint-deliveries.js';
import { mailHost } from './subscribers.js';
import { enumOf, longText, nameText, parseInput } from '../../lib/validate.js';

export const CATEGORIES = ['data_protection', 'security_advisory', 'general'] as const;
export type Category = (typeof CATEGORIES)[number];
export const CATEGORY_LABELS: Record<Category, string> = {
  data_protection: 'Data protection notice',
  security_advisory: 'Security advisory',
  general: 'Notice',
};

/** What a notice says, published or still a draft (notice-drafts.ts). */
export interface NoticeText {
  replaces_id: string | null;
  category: Category;
  title: string;
  what_happened: string;
  data_involved: string;
  consequences: string;
  measures: string;
  what_to_do: string;
  contact: string;
  body: string;
  incident_id: string | null;
}

export interface Communication extends NoticeText {
  id: string;
  series_id: string;
  version: number;
  author: string;
  published_at: string;
}

const TEXT_MAX = 20_000;

/**
 * What GDPR Art. 34(2) requires a notice to data subjects to contain, in its order, with the
 * headings readers expect (What happened · What information was involved · What we are doing ·
 * What you can do · For more information).
 */
export const DATA_PROTECTION_FIELDS = [
  { name: 'what_happened', max: TEXT_MAX, label: 'What happened', hint: 'The nature of the breach, in clear and plain language.' },
  { name: 'data_involved', max: TEXT_MAX, label: 'What information was involved', hint: 'The categories of personal data concerned.' },
  { name: 'consequences', max: TEXT_MAX, label: 'Likely consequences', hint: 'What could follow for the people affected.' },
  { name: 'measures', max: TEXT_MAX, label: 'What we are doing', hint: 'Measures taken or proposed, including those that limit harm.' },
  { name: 'what_to_do', max: TEXT_MAX, label: 'What you can do', hint: 'What readers should do to protect themselves.' },
  { name: 'contact', max: 2_000, label: 'For more information', hint: 'The contact point, such as the data protection officer.' },
] as const;

/** A notice's fields and their limits; a draft (notice-drafts.ts) has the same, none of them required. */
export const communicationFields = z.object({
  category: enumOf(CATEGORIES, 'Category'),
  title: nameText(200),
  what_happened: longText(TEXT_MAX).default(''),
  data_involved: longText(TEXT_MAX).default(''),
  consequences: longText(TEXT_MAX).default(''),
  measures: longText(TEXT_MAX).default(''),
  what_to_do: longText(TEXT_MAX).default(''),
  contact: longText(2_000).default(''),
  body: longText(TEXT_MAX).default(''),
  incident_id: z
    .string({ invalid_type_error: 'Must be an incident id' })
    .nullish()
    .transform((v) => v || null),
});

export const communicationInput = communicationFields.superRefine((c, check) => {
  if (c.category === 'data_protection') {
    for (const f of DATA_PROTECTION_FIELDS) {
      if (!c[f.name]) check.addIssue({ code: 'custom', path: [f.name], message: `A data protection notice must say this: ${f.hint}` });
    }
  } else if (!c.body) {
    check.addIssue({ code: 'custom', path: ['body'], message: 'Write the notice' });
  }
});
export type CommunicationInput = z.input<typeof communicationInput>;

export function getCommunication(db: Db, id: string): Communication {
  const c = db.prepare('SELECT * FROM communications WHERE id = ?').get(id) as Communication | undefined;
  if (!c) throw new NotFound('No such notice');
  return c;
}

/** Every version of every notice, the newest version of each series first (for the public pages). */
export function allCommunications(db: Db): Communication[] {
  return db.prepare('SELECT * FROM communications ORDER BY version DESC, published_at DESC').all() as Communication[];
}

/** The versions among `ids` (unknown ids are left out). */
export function communicationsById(db: Db, ids: string[]): Communication[] {
  if (ids.length === 0) return [];
  return db.prepare('SELECT * FROM communications WHERE id IN (SELECT value FROM json_each(?))').all(JSON.stringify(ids)) as Communication[];
}

/** Every version in a series, newest first. */
export function versionsOf(db: Db, seriesId: string): Communication[] {
  return db.prepare('SELECT * FROM communications WHERE series_id = ? ORDER BY version DESC').all(seriesId) as Communication[];
}

/** The newest version of each notice, newest first; `since` limits to notices published after it. */
export function latestCommunications(db: Db, since?: string, limit = 100): Communication[] {
  return db
    .prepare(
      `SELECT c.* FROM communications c
       WHERE c.version = (SELECT MAX(version) FROM communications v WHERE v.series_id = c.series_id)
         AND (@since IS NULL OR c.published_at >= @since)
       ORDER BY c.published_at DESC LIMIT @limit`,
    )
    .all({ since: since ?? null, limit }) as Communication[];
}

/** Why a correction of `previous` cannot be made now (a newer version exists), or nothing. */
export function correctionProblem(db: Db, previous: Communication): string | undefined {
  const newest = versionsOf(db, previous.series_id)[0];
  return newest && newest.id !== previous.id ? 'A newer version of this notice exists; correct that one' : undefined;
}

/**
 * Publishes a notice (or, with `replacesId`, a correction as the next version of it) and queues it for
 * every confirmed subscriber, in one transaction. Published versions are never edited. A draft being
 * published gives its `id` (its previews' links are the notice's) and claims itself in the same
 * transaction (`alongside`, which throws to refuse).
 */
export function publishCommunication(
  ctx: Deps<'bus' | 'clock' | 'config' | 'db'>,
  actor: Actor,
  given: CommunicationInput,
  replacesId?: string,
  draft?: { id: string; alongside: () => void },
): Communication {
  const input = parseInput(communicationInput, given);
  const previous = replacesId ? getCommunication(ctx.db, replacesId) : undefined;
  return commitChange(ctx, { cause: 'communication.published', actor }, () => {
    draft?.alongside();
    if (input.incident_id && !ctx.db.prepare('SELECT 1 FROM incidents WHERE id = ?').get(input.incident_id)) {
      throw new Invalid({ incident_id: 'No such incident' });
    }
    const stale = previous && correctionProblem(ctx.db, previous);
    if (stale) throw new Invalid({ form: stale });
    const now = ctx.clock.now();
    const id = draft?.id ?? newId();
    const seriesId = previous?.series_id ?? id;
    ctx.db
      .prepare(
        `INSERT INTO communications (id, series_id, version, replaces_id, category, title, what_happened, data_involved,
           consequences, measures, what_to_do, contact, body, incident_id, author, published_at)
         VALUES (@id, @series, @version, @replaces, @category, @title, @what_happened, @data_involved, @consequences,
           @measures, @what_to_do, @contact, @body, @incident_id, @author, @at)`,
      )
      .run({
        ...input,
        id,
        series: seriesId,
        version: (previous?.version ?? 0) + 1,
        replaces: previous?.id ?? null,
        author: authorName(actor),
        at: now.toISOString(),
      });
    enqueueCommunication(ctx.db, { id, seriesId }, mailHost(ctx.config.publicUrl), now);
    enqueueEndpointsForCommunication(ctx.db, { id, seriesId }, now);
    return { result: getCommunication(ctx.db, id), ids: [id] };
  });
}

/** A notice's sections with the headings readers expect; shared by its email and its page. */
export function noticeSections(notice: Communication) {
  const label = (name: string) => DATA_PROTECTION_FIELDS.find((f) => f.name === name)?.label ?? name;
  const sections =
    notice.category === 'data_protection'
      ? [
          { heading: label('what_happened'), text: notice.what_happened, extra: notice.consequences ? `Likely consequences: ${notice.consequences}` : '' },
          { heading: label('data_involved'), text: notice.data_involved, extra: '' },
          { heading: label('measures'), text: notice.measures, extra: '' },
          { heading: label('what_to_do'), text: notice.what_to_do, extra: '' },
          { heading: label('contact'), text: notice.contact, extra: '' },
        ]
      : [];
  return { sections, categoryName: CATEGORY_LABELS[notice.category] };
}
