import { z } from 'zod';
import type { Deps } from '../../context.js';
import type { Actor } from '../access/actors.js';
import { commitChange } from '../write-path.js';
import { parseInput, sideText } from '../../lib/validate.js';
import { componentStatus, getComponent, setStatuses, type Component } from './components.js';

/** A status set by hand, and why: the reason is for the audit log (the page shows the status alone, as Statuspage does). */
export const statusChangeInput = z.object({
  status: componentStatus,
  reason: sideText(500).default(''),
});
export type StatusChangeInput = z.input<typeof statusChangeInput>;

/**
 * Sets one component's status in one step (the components list, the dashboard): a public change through
 * the write path, so viewers get it live and webhooks following the component get a component_update
 * (logStatus), with the status before and after and the operator's reason in its audit row. The status
 * it already has is no change: nothing is written (a second click of the same form does nothing twice).
 */
export function setComponentStatus(
  ctx: Deps<'bus' | 'clock' | 'db'>,
  actor: Actor,
  id: string,
  given: StatusChangeInput,
): { component: Component; changed: boolean } {
  const input = parseInput(statusChangeInput, given);
  if (getComponent(ctx.db, id).status === input.status) return { component: getComponent(ctx.db, id), changed: false };
  return commitChange(ctx, { cause: 'component.status_changed', actor }, () => {
    const [change] = setStatuses(ctx.db, new Map([[id, input.status]]), ctx.clock.now().toISOString());
    const component = getComponent(ctx.db, id);
    const detail = { name: component.name, before: { status: change?.old ?? component.status }, after: { status: component.status }, reason: input.reason };
    return { result: { component, changed: change !== undefined }, ids: [id], audit: { subject: id, detail } };
  });
}
