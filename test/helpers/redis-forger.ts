import type { Redis } from 'ioredis';
import { pageKeys } from '../../server/cluster/replication/keys.js';
import { emptyDigest, sha256, Signer, xorInPlace } from '../../server/cluster/replication/signing.js';
import { tagOf } from '../../server/snapshot/body.js';

/**
 * Someone with write access to Redis, and without REPLICATION_SECRET (unless given a signer, to play a
 * primary that signs what it should not): it reads what the page's keys hold and writes documents,
 * states and stream entries shaped as the primary writes them, following its last publication.
 */
export class RedisForger {
  readonly keys;

  constructor(
    private readonly client: Redis,
    private readonly pageId: string,
  ) {
    this.keys = pageKeys(pageId);
  }

  hash(): Promise<Record<string, string>> {
    return this.client.hgetall(this.keys.state);
  }

  /** The last entry of the page's stream: its id and fields. */
  async last(): Promise<{ id: string; fields: Map<string, string> }> {
    const [entry] = await this.client.xrevrange(this.keys.changes, '+', '-', 'COUNT', 1);
    const fields = new Map<string, string>();
    const list = entry?.[1] ?? [];
    for (let i = 0; i + 1 < list.length; i += 2) fields.set(list[i] ?? '', list[i + 1] ?? '');
    return { id: entry?.[0] ?? '0-0', fields };
  }

  /**
   * A document for `key` made from a genuine one of the page (its shape and signature, when there is
   * one), with other bytes, forms, type or headers. Its signature is `signer`'s, or the genuine one's.
   */
  async doc(
    key: string,
    given: { bytes: Buffer; type?: string; headers?: Record<string, string>; br?: Buffer; gzip?: Buffer },
    signer?: Signer,
  ): Promise<string> {
    const hash = await this.hash();
    const genuine = JSON.parse(hash[`doc:${key}`] ?? hash['doc:/'] ?? '{}') as Record<string, unknown>;
    const doc: Record<string, unknown> = { ...genuine, tag: tagOf(given.bytes), identity: given.bytes.toString('base64') };
    delete doc.br;
    delete doc.gzip;
    if (given.type) doc.type = given.type;
    if (given.headers) doc.headers = given.headers;
    if (given.br) doc.br = given.br.toString('base64');
    if (given.gzip) doc.gzip = given.gzip.toString('base64');
    if ('sig' in genuine && signer) {
      const forms = { br: given.br ? sha256(given.br) : '', gzip: given.gzip ? sha256(given.gzip) : '' };
      doc.sig = signer.doc(key, doc.tag as string, doc.type as string, doc.headers as Record<string, string>, forms);
    }
    return JSON.stringify(doc);
  }

  /**
   * Appends an entry shaped as the primary's next publication (following its last one: the same run
   * and version, the next number), carrying `fields` ([field, value] pairs: "doc:<key>", "live"), with
   * the last entry's signature, or `sig`. `follows` is the entry to follow, `skip` how many numbers to skip.
   */
  async entry(
    fields: [string, string][],
    options: { kind?: 'delta' | 'reload'; sig?: string; follows?: { id: string; fields: Map<string, string> }; skip?: number } = {},
  ): Promise<void> {
    const { id, fields: last } = options.follows ?? (await this.last());
    const seq = last.get('seq');
    const head = ['base', seq ?? id, 'kind', options.kind ?? 'delta', 'version', last.get('version') ?? '0', 'epoch', last.get('epoch') ?? '', 'removed', '[]'];
    if (seq !== undefined) head.push('seq', String(Number(seq) + 1 + (options.skip ?? 0)), 'sig', options.sig ?? last.get('sig') ?? '');
    await this.client.xadd(this.keys.changes, '*', ...head, ...fields.flat());
  }

  /** Appends a copy of an entry, field for field (a replay). */
  async replay(fields: Map<string, string>): Promise<void> {
    await this.client.xadd(this.keys.changes, '*', ...[...fields].flat());
  }

  /**
   * The signature a primary with `signer`'s secret would give the state the hash holds once `docs`
   * (key → document as stored) replace its own: what a rogue primary could sign, for the next number.
   */
  async signedState(signer: Signer, docs: Record<string, string>): Promise<string> {
    const hash = { ...(await this.hash()) };
    for (const [key, raw] of Object.entries(docs)) hash[`doc:${key}`] = raw;
    const digest = emptyDigest();
    for (const [field, raw] of Object.entries(hash)) {
      if (field.startsWith('doc:')) xorInPlace(digest, signer.member((JSON.parse(raw) as { sig: string }).sig));
    }
    const { fields: last } = await this.last();
    return signer.state({
      epoch: last.get('epoch') ?? '',
      seq: Number(last.get('seq')) + 1,
      version: Number(last.get('version')),
      digest,
      liveDigest: sha256(hash.live ?? ''),
    });
  }
}
