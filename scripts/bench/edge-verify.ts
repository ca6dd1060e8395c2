// What an edge's checks cost when it applies a publication (never on a GET), measured in this process on
// what the primary wrote to Redis: the whole state (what an edge checks when it starts or re-reads the
// hash) and one update's stream entry, each with the checks an edge made before signatures (shape,
// page, ETag against the bytes) and with all of today's (allow-list, signatures, the set's digest, every
// compressed form decompressed and compared).
import { Redis } from 'ioredis';
import { z } from 'zod';
import { pageKeys } from '../../server/cluster/replication/keys.js';
import { Signer } from '../../server/cluster/replication/signing.js';
import { Verifier, type VerifiedState } from '../../server/cluster/replication/verified.js';
import { tagOf } from '../../server/snapshot/body.js';
import { now } from './crowd.js';
import { percentile } from './report.js';

/** The document's schema of an edge before signatures (format.ts at b4aa676), with the signature's field. */
const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'not base64');
const docBefore = z
  .object({
    page: z.string(),
    sig: z.string(),
    tag: z.string().regex(/^[A-Za-z0-9_-]{27}$/),
    type: z.string().min(1).max(200),
    headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/), z.string().max(1000)),
    identity: base64,
    br: base64.optional(),
    gzip: base64.optional(),
  })
  .strict();

/** The checks of an edge before signatures: parse, shape, page, the bytes against the ETag. */
function checkAsBefore(pageId: string, raws: string[]): void {
  for (const raw of raws) {
    const doc = docBefore.parse(JSON.parse(raw));
    if (doc.page !== pageId) throw new Error('foreign');
    const bytes = Buffer.from(doc.identity, 'base64');
    if (doc.br) Buffer.from(doc.br, 'base64');
    if (doc.gzip) Buffer.from(doc.gzip, 'base64');
    if (tagOf(bytes) !== doc.tag) throw new Error('tag');
  }
}

/** Wall-clock and CPU milliseconds of `run` (CPU: every thread of this process, the thread pool's included). */
async function timed(run: () => unknown): Promise<{ wall: number; cpu: number }> {
  const cpu = process.cpuUsage();
  const t = now();
  await run();
  const used = process.cpuUsage(cpu);
  return { wall: now() - t, cpu: (used.user + used.system) / 1000 };
}

const median = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );
const fieldsOf = (list: string[]) => new Map(Array.from({ length: list.length / 2 }, (_, i) => [list[2 * i] ?? '', list[2 * i + 1] ?? ''] as [string, string]));

/** Milliseconds: wall clock and CPU. */
export interface Cost {
  wall: number;
  cpu: number;
}

export interface VerifyCost {
  docs: number;
  bytes: number;
  /** Medians of 5. */
  wholeBefore: Cost;
  wholeNow: Cost;
  entryDocs: number;
  /** Medians over the updates. */
  entryBefore: Cost;
  entryNow: Cost;
  /** The slowest update's, wall clock. */
  entryBeforeMax: number;
  entryNowMax: number;
}

const medians = (xs: Cost[]): Cost => ({ wall: median(xs.map((x) => x.wall)), cpu: median(xs.map((x) => x.cpu)) });

/** Measures on the page's keys in Redis; `update` makes the primary commit one more change. Throws if anything the primary wrote does not pass. */
export async function measureVerification(redisUrl: string, pageId: string, secret: string, update: () => Promise<void>, updates = 20): Promise<VerifyCost> {
  const redis = new Redis(redisUrl);
  const keys = pageKeys(pageId);
  const verifier = new Verifier(new Signer(secret, pageId), pageId, (what, reason) => {
    throw new Error(`${what}: ${reason}`);
  });
  try {
    const hash = await redis.hgetall(keys.state);
    const raws = Object.entries(hash)
      .filter(([field]) => field.startsWith('doc:'))
      .map(([, raw]) => raw);
    const wholeBefore: Cost[] = [];
    const wholeNow: Cost[] = [];
    let held: VerifiedState | undefined;
    for (let i = 0; i < 5; i++) {
      wholeBefore.push(await timed(() => checkAsBefore(pageId, raws)));
      wholeNow.push(await timed(async () => (held = await verifier.fromHash(hash, undefined))));
      if (!held) throw new Error('the state does not pass');
    }
    let lastId = (await redis.xrevrange(keys.changes, '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0';
    const entryBefore: Cost[] = [];
    const entryNow: Cost[] = [];
    let entryDocs = 0;
    for (let i = 0; i < updates; i++) {
      await update();
      let entries: [string, string[]][] = [];
      for (const until = Date.now() + 10_000; !entries.length && Date.now() < until; await new Promise((r) => setTimeout(r, 20))) {
        entries = await redis.xrange(keys.changes, `(${lastId}`, '+');
      }
      for (const [id, list] of entries) {
        lastId = id;
        const fields = fieldsOf(list);
        if (!held || fields.get('kind') !== 'delta' || fields.get('base') !== String(held.seq)) throw new Error('not a delta following the state held');
        const docs = [...fields].filter(([field]) => field.startsWith('doc:')).map(([, raw]) => raw);
        entryDocs += docs.length;
        const from = held;
        entryBefore.push(await timed(() => checkAsBefore(pageId, docs)));
        entryNow.push(await timed(async () => (held = await verifier.applyEntry(fields, from))));
      }
    }
    return {
      docs: raws.length,
      bytes: raws.reduce((s, r) => s + r.length, 0),
      wholeBefore: medians(wholeBefore),
      wholeNow: medians(wholeNow),
      entryDocs: entryDocs / Math.max(1, entryNow.length),
      entryBefore: medians(entryBefore),
      entryNow: medians(entryNow),
      entryBeforeMax: Math.max(...entryBefore.map((c) => c.wall)),
      entryNowMax: Math.max(...entryNow.map((c) => c.wall)),
    };
  } finally {
    redis.disconnect();
  }
}
