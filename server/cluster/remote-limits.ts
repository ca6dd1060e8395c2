import type { Worker } from 'node:cluster';
import { isWindowName, type LocalLimits, type SharedLimits, type TakeResult, type WindowName, type WindowToken } from '../lib/limits.js';
import type { Reservation, Reserved, ThrottleKeys } from '../lib/login-throttle.js';
import type { Log } from '../log.js';
import { HttpError } from '../errors.js';
import type { IpcMessage } from './messages.js';

/** An answer from the primary not back in this long: the worker acts as if refused (never as if allowed). */
const TIMEOUT_MS = 5_000;

/** What the client is told when the primary cannot say whether a limit lets it through: a refusal, to retry. */
function unanswered(): HttpError {
  const err = new HttpError(503, 'busy', 'The server is busy. Please try again in a moment.');
  err.retryAfterSeconds = 5;
  return err;
}

/**
 * The shared limits as an HTTP worker sees them: each call asks the machine's primary process, which
 * keeps the one copy (so that N workers do not give an attacker N times the attempts).
 */
export class RemoteLimits implements SharedLimits {
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();

  constructor(private readonly send: (m: IpcMessage) => void) {}

  /** An answer from the primary (wired by http-worker.ts). */
  answered(m: Extract<IpcMessage, { pharos: 'limits-result' }>): void {
    const waiting = this.pending.get(m.id);
    if (!waiting) return;
    this.pending.delete(m.id);
    clearTimeout(waiting.timer);
    if (m.error !== undefined) waiting.reject(new Error(m.error));
    else waiting.resolve(m.result);
  }

  private call(method: 'reserve' | 'take', args: unknown[]): Promise<unknown> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(unanswered());
      }, TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      this.send({ pharos: 'limits', id, method, args });
    });
  }

  async reserve(keys: ThrottleKeys, now: number): Promise<Reserved> {
    return (await this.call('reserve', [keys, now])) as Reserved;
  }

  settle(reservation: Reservation, outcome: 'failed' | 'succeeded' | 'cancelled'): void {
    this.send({ pharos: 'limits', id: 0, method: 'settle', args: [reservation, outcome] });
  }

  /** One round trip: the primary takes the token or refuses before it reads the next message. */
  async take(window: WindowName, key: string, limit: number, now: number, cost: 0 | 1 = 1): Promise<TakeResult> {
    return (await this.call('take', [window, key, limit, now, cost])) as TakeResult;
  }

  giveBack(token: WindowToken): void {
    this.send({ pharos: 'limits', id: 0, method: 'give-back', args: [token] });
  }
}

/** The primary's side: answers a worker's request from the one copy of the limits. */
export function answerLimits(limits: LocalLimits, worker: Worker, m: Extract<IpcMessage, { pharos: 'limits' }>, log: Log): void {
  const reply = (result: unknown) => {
    if (m.id) worker.send({ pharos: 'limits-result', id: m.id, result } satisfies IpcMessage);
  };
  try {
    const [a, b, c, d, e] = m.args;
    switch (m.method) {
      case 'reserve':
        return reply(limits.attempts.reserve(a as ThrottleKeys, Number(b)));
      case 'settle':
        limits.settle(a as Reservation, b as 'failed' | 'succeeded' | 'cancelled');
        return;
      case 'take':
        if (!isWindowName(a)) throw new Error(`no window named ${String(a)}`);
        return reply(limits.takeNow(a, String(b), Number(c), Number(d), e === 0 ? 0 : 1));
      case 'give-back': {
        const token = a as Partial<WindowToken> | undefined;
        if (isWindowName(token?.window) && typeof token.key === 'string' && typeof token.at === 'number') {
          limits.giveBack({ window: token.window, key: token.key, at: token.at });
        }
        return;
      }
    }
  } catch (err) {
    log.error({ err, method: m.method }, 'a shared-limits request from a worker failed');
    if (m.id) worker.send({ pharos: 'limits-result', id: m.id, error: 'failed' } satisfies IpcMessage);
  }
}
