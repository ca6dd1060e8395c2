import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { projectRoot } from '../../server/lib/paths.js';

/**
 * The shape of server/, as docs/architecture.md describes it: small files, and dependencies that flow
 * downward. A new import against the grain fails here before it reaches a review.
 */

const root = projectRoot();
const server = join(root, 'server');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : name.endsWith('.ts') ? [path] : [];
  });
}

/** Every relative import of a file, as paths relative to server/ (e.g. "domain/page/components.ts"). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) =>
    relative(server, resolve(dirname(file), (m[1] ?? '').replace(/\.js$/, '.ts'))),
  );
}

const files = walk(server).map((f) => relative(server, f));
const top = (path: string) => path.split('/')[0] ?? '';

describe('the layout of server/', () => {
  it('keeps every file under 300 lines', () => {
    const long = files.map((f) => [f, readFileSync(join(server, f), 'utf8').split('\n').length] as const).filter(([, n]) => n > 300);
    assert.deepEqual(long, []);
  });

  const rules: [string, (file: string) => boolean, string[]][] = [
    ['domain/', (f) => f.startsWith('domain/'), ['http', 'realtime', 'render', 'snapshot', 'outbox', 'jobs', 'compose.ts', 'main.ts']],
    ['lib/', (f) => f.startsWith('lib/'), ['http', 'realtime', 'render', 'snapshot', 'outbox', 'jobs', 'domain', 'db', 'compose.ts', 'main.ts']],
    ['realtime/', (f) => f.startsWith('realtime/'), ['http', 'jobs', 'compose.ts', 'main.ts']],
    ['snapshot/', (f) => f.startsWith('snapshot/'), ['http', 'realtime', 'outbox', 'jobs', 'compose.ts', 'main.ts']],
    ['outbox/', (f) => f.startsWith('outbox/'), ['http', 'realtime', 'jobs', 'compose.ts', 'main.ts']],
    // Alerts in: parse what arrives, then the domain's writes.
    ['integrations/', (f) => f.startsWith('integrations/'), ['http', 'realtime', 'outbox', 'snapshot', 'jobs', 'compose.ts', 'main.ts']],
    // render/ may read the domain's vocabulary (status and category labels).
    ['render/', (f) => f.startsWith('render/'), ['http', 'realtime', 'snapshot', 'outbox', 'jobs', 'compose.ts', 'main.ts']],
    ['db/', (f) => f.startsWith('db/'), ['http', 'realtime', 'render', 'snapshot', 'outbox', 'jobs', 'domain', 'compose.ts', 'main.ts']],
    // Replication is data in and out of Redis: it serves nothing and reads no database.
    ['cluster/replication/', (f) => f.startsWith('cluster/replication/'), ['http', 'realtime', 'outbox', 'jobs', 'db', 'compose.ts', 'main.ts']],
    ['context.ts (types only)', (f) => f === 'context.ts', []],
  ];
  for (const [what, applies, forbidden] of rules) {
    it(`${what} imports nothing from ${forbidden.length ? forbidden.join(', ') : 'anywhere but types'}`, () => {
      const against = files.filter(applies).flatMap((f) =>
        importsOf(join(server, f))
          .filter((i) => forbidden.includes(top(i)))
          .map((i) => `${f} → ${i}`),
      );
      assert.deepEqual(against, []);
    });
  }

  it('keeps context.ts to types: every import there is `import type`', () => {
    const lines = readFileSync(join(server, 'context.ts'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('import '));
    assert.deepEqual(
      lines.filter((l) => !l.startsWith('import type ')),
      [],
    );
  });

  it('has nothing import http/ but main.ts and the process roles of cluster/ (and http/ itself)', () => {
    const against = files
      .filter((f) => f !== 'main.ts' && top(f) !== 'http' && top(f) !== 'cluster')
      .flatMap((f) =>
        importsOf(join(server, f))
          .filter((i) => top(i) === 'http')
          .map((i) => `${f} → ${i}`),
      );
    assert.deepEqual(against, []);
  });

  it('has nothing import compose.ts or main.ts but main.ts, the process roles of cluster/ and the scripts', () => {
    const against = files
      .filter((f) => f !== 'main.ts' && top(f) !== 'cluster')
      .flatMap((f) =>
        importsOf(join(server, f))
          .filter((i) => i === 'compose.ts' || i === 'main.ts')
          .map((i) => `${f} → ${i}`),
      );
    assert.deepEqual(against, []);
  });
});
