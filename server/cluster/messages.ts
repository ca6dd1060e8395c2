import { BUS_EVENTS, type BusEvent } from '../events.js';

/**
 * What the processes of one machine say to each other over node:cluster's IPC channel (serialization
 * "advanced"): bus events in both directions, and requests to the shared limits the primary keeps.
 */
export type IpcMessage =
  | { pharos: 'bus'; name: BusEvent; args: unknown[] }
  | { pharos: 'limits'; id: number; method: LimitsMethod; args: unknown[] }
  | { pharos: 'limits-result'; id: number; result?: unknown; error?: string }
  | { pharos: 'shutdown' };

export const LIMITS_METHODS = ['reserve', 'settle', 'take', 'give-back'] as const;
export type LimitsMethod = (typeof LIMITS_METHODS)[number];

/** Only our own messages (the channel also carries node's internal ones), in their shape. */
export function asIpcMessage(value: unknown): IpcMessage | undefined {
  if (!value || typeof value !== 'object' || !('pharos' in value)) return undefined;
  const m = value as Record<string, unknown>;
  switch (m.pharos) {
    case 'bus':
      return BUS_EVENTS.includes(m.name as BusEvent) && Array.isArray(m.args) ? (m as IpcMessage) : undefined;
    case 'limits':
      return typeof m.id === 'number' && LIMITS_METHODS.includes(m.method as LimitsMethod) && Array.isArray(m.args) ? (m as IpcMessage) : undefined;
    case 'limits-result':
      return typeof m.id === 'number' ? (m as IpcMessage) : undefined;
    case 'shutdown':
      return { pharos: 'shutdown' };
    default:
      return undefined;
  }
}
