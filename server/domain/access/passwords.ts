import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { HttpError } from '../../errors.js';

// scrypt with N = 2^17, r = 8, p = 1 (OWASP's recommended minimum); 128 * N * r bytes (128 MiB) of memory each.
const LOG_N = 17;
const R = 8;
const P = 1;
const KEYLEN = 32;
const MAXMEM = 256 * 1024 * 1024;

function derive(password: string, salt: Buffer, logN: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, KEYLEN, { N: 2 ** logN, r, p, maxmem: MAXMEM }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** Too many password checks are waiting already: the attempt is refused, not queued (a form comes back with the message). */
export class HashingBusy extends HttpError {
  constructor() {
    const message = 'Pharos is checking many passwords right now. Try again in a few seconds.';
    super(503, 'busy', message, { form: message });
    this.retryAfterSeconds = 2;
  }
}

interface Waiting {
  priority: boolean;
  start: () => void;
}

/**
 * Hashes and checks passwords, at most `concurrency` at a time in the whole process. Each scrypt takes
 * 128 MiB and a thread of libuv's pool of four, which file reads share: unbounded, a burst of sign-ins
 * took 600 MB and starved static files for seconds. Beyond the running ones, at most `maxWaiting`
 * wait (the others are refused with HashingBusy); `priority` checks (a browser that signed in before)
 * go ahead of the others and are never refused for a full queue, so a flood cannot keep them out.
 */
export class PasswordHasher {
  private running = 0;
  private readonly waiting: Waiting[] = [];
  // What an unknown account is checked against: real parameters, random salt and key (it matches
  // nothing), so that the check costs one scrypt like a real one and needs no hashing to set up.
  private readonly dummy = ['scrypt', LOG_N, R, P, randomBytes(16).toString('base64'), randomBytes(KEYLEN).toString('base64')].join('$');

  constructor(
    readonly concurrency = Math.max(1, Math.min(2, availableParallelism())),
    readonly maxWaiting = 16,
  ) {}

  /** `scrypt$logN$r$p$salt$hash`, all parameters kept so they can be raised later. */
  async hash(password: string): Promise<string> {
    const salt = randomBytes(16);
    const key = await this.bounded(false, () => derive(password, salt, LOG_N, R, P));
    return ['scrypt', LOG_N, R, P, salt.toString('base64'), key.toString('base64')].join('$');
  }

  async verify(password: string, stored: string, opts: { priority?: boolean } = {}): Promise<boolean> {
    const [scheme, logN, r, p, salt, hash] = stored.split('$');
    if (scheme !== 'scrypt' || !salt || !hash) return false;
    const expected = Buffer.from(hash, 'base64');
    const actual = await this.bounded(opts.priority ?? false, () => derive(password, Buffer.from(salt, 'base64'), Number(logN), Number(r), Number(p)));
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }

  /** Spends the same time as a real check, so an unknown account answers as slowly as a wrong password. */
  async verifyNothing(password: string, opts: { priority?: boolean } = {}): Promise<false> {
    await this.verify(password, this.dummy, opts);
    return false;
  }

  private async bounded<T>(priority: boolean, work: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (!priority && this.waiting.length >= this.maxWaiting) throw new HashingBusy();
      await new Promise<void>((start) => {
        const entry = { priority, start };
        const at = priority ? this.waiting.findIndex((w) => !w.priority) : -1;
        if (at === -1) this.waiting.push(entry);
        else this.waiting.splice(at, 0, entry);
      });
    } else {
      this.running++;
    }
    try {
      return await work();
    } finally {
      // The place passes to the next in line (running stays the same), or is given up.
      const next = this.waiting.shift();
      if (next) next.start();
      else this.running--;
    }
  }
}
