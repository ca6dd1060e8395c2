import type { Request, Response } from 'express';
import type { z } from 'zod';
import type { Context } from '../../context.js';
import type { Actor } from '../../domain/access/actors.js';
import type { Incident } from '../../domain/incidents/queries.js';
import { pageLayout } from '../../domain/page/order.js';
import { Invalid, Unauthorized } from '../../errors.js';
import { formTyped } from '../../lib/validate.js';
import { incidentShape, maintenanceShape, pagePositions } from '../../snapshot/shapes.js';

/** What the v1 routers share: reading an envelope (JSON or a form), naming its fields in errors, the caller, the incident's shape. */

const isObject = (v: unknown): v is Record<string, unknown> => Boolean(v) && typeof v === 'object' && !Array.isArray(v);

/** Whether the body came as a urlencoded form (`incident[name]=X`) rather than JSON. */
export const isForm = (req: Request): boolean => Boolean(req.is('application/x-www-form-urlencoded'));

/**
 * The object under `key` in a Statuspage v1 body (`{"incident": {...}}` as JSON, `incident[name]=…` as a
 * form), or a 422 naming it. A form's text is typed as `schema` expects (see formTyped), so both give
 * the domain the same input.
 */
export function envelope(req: Request, key: string, schema?: z.ZodTypeAny): Record<string, unknown> {
  const body: unknown = req.body;
  const inner = isObject(body) ? body[key] : undefined;
  if (!isObject(inner)) {
    throw new Invalid({ [key]: `Send {"${key}": {...}} as JSON (Content-Type: application/json), or ${key}[field]=… as a form` });
  }
  if (!schema || !isForm(req)) return inner;
  const typed = formTyped(schema, inner);
  return isObject(typed) ? typed : inner;
}

/** A top-level field of the body besides the envelope (Statuspage's component groups put `description` there). */
export function topLevel(req: Request, field: string): unknown {
  const body: unknown = req.body;
  return isObject(body) ? body[field] : undefined;
}

/** Runs a write on an envelope's content: its field errors name fields inside it ("name" is "incident.name"). */
export function inEnvelope<T>(key: string, write: () => T): T {
  try {
    return write();
  } catch (err) {
    throw err instanceof Invalid ? err.within(`${key}.`) : err;
  }
}

/** The API key's actor, set by requireApiKey. */
export function actor(res: Response): Actor {
  if (!res.locals.apiActor) throw new Unauthorized();
  return res.locals.apiActor;
}

/** v1 incidents carry the v2 fields plus impact_override, so automation can read back what it set; maintenance its window. */
export function v1Incidents(ctx: Context): (incidents: Incident[]) => unknown[] {
  return (incidents) => {
    const positions = pagePositions(pageLayout(ctx.db));
    return incidents.map((i) => ({
      ...(i.kind === 'maintenance'
        ? maintenanceShape(i, ctx.pageId, ctx.config.publicUrl, positions)
        : incidentShape(i, ctx.pageId, ctx.config.publicUrl, positions)),
      impact_override: i.impact_override,
    }));
  };
}
