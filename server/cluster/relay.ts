import type { Worker } from 'node:cluster';
import type { Bus } from '../events.js';
import type { IpcMessage } from './messages.js';

/**
 * The bus across the processes of one machine: every event a process emits goes to the primary, which
 * delivers it to its own consumers and to every other worker, which deliver it to theirs. So a change
 * committed by any worker rebuilds every worker's snapshot and reaches every worker's viewers at once,
 * wakes the primary's outbox worker, and the primary's delivery progress reaches operators on any worker.
 */
export function relayFromWorker(bus: Bus, send: (m: IpcMessage) => void): (m: Extract<IpcMessage, { pharos: 'bus' }>) => void {
  bus.forwardTo((name, args) => send({ pharos: 'bus', name, args }));
  return (m) => bus.deliver(m.name, m.args);
}

/** The primary's side: `workers` are the live ones at the moment of each event. */
export function relayAmongWorkers(bus: Bus, workers: () => Worker[]): (from: Worker, m: Extract<IpcMessage, { pharos: 'bus' }>) => void {
  const sendAll = (m: IpcMessage, except?: Worker) => {
    for (const w of workers()) if (w !== except && w.isConnected()) w.send(m);
  };
  bus.forwardTo((name, args) => sendAll({ pharos: 'bus', name, args }));
  return (from, m) => {
    bus.deliver(m.name, m.args);
    sendAll(m, from);
  };
}
