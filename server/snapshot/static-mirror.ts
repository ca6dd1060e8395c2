import { copyFile, mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Context } from '../context.js';
import { ASSET_DIRS } from '../lib/paths.js';
import type { SnapshotState } from './snapshot.js';

/**
 * Where a document lives in the mirror: "/" is index.html, an HTML page gets ".html" (nginx finds it
 * with try_files $uri.html and serves it as HTML), "/api/v2/x.json" and calendars keep their path.
 * Pages of the history past the first are not mirrored (nginx does not look at query strings), nor the
 * not-found documents (no path: nginx answers a path it lacks with the status page).
 */
const fileOf = (path: string, type: string) =>
  path.includes('?') || !path.startsWith('/')
    ? undefined
    : path === '/'
      ? 'index.html'
      : type.startsWith('text/html')
        ? `${path.slice(1)}.html`
        : path.slice(1);

/** Writes `bytes` so that a reader (nginx) sees the old file or the new one, never half of one. */
async function writeAtomically(file: string, bytes: Buffer | string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}.partial`;
  await writeFile(partial, bytes);
  await rename(partial, file);
}

/**
 * The static fallback: after every change, the current status page, its CSS and scripts and the v2 JSON
 * are written to DATA_DIR/static, so that a web server in front (docs/nginx/pharos.conf) can keep
 * serving the last state when Pharos does not answer. Writes are coalesced (the newest state wins) and
 * skipped for unchanged bodies. compose.ts's wire() hands it every new state.
 */
export interface StaticMirror {
  write(state: SnapshotState): void;
  /** Writes the state of the last commit and waits for the writes in progress. */
  stop(): Promise<void>;
}

export function startStaticMirror(ctx: Context, dir = join(ctx.config.dataDir, 'static')): StaticMirror {
  const written = new Map<string, string>();
  let latest: SnapshotState | undefined;
  let writing: Promise<void> | undefined;

  const assets = (async () => {
    for (const sub of ASSET_DIRS) {
      const from = join(ctx.root, 'public', sub);
      for (const name of await readdir(from)) {
        await mkdir(join(dir, sub), { recursive: true });
        const partial = join(dir, sub, `${name}.${process.pid}.partial`);
        await copyFile(join(from, name), partial);
        await rename(partial, join(dir, sub, name));
      }
    }
  })();

  const flush = async (): Promise<void> => {
    await assets;
    while (latest) {
      const state = latest;
      latest = undefined;
      for (const [path, body] of state.bodies) {
        const file = fileOf(path, body.type);
        if (!file || written.get(path) === body.etag) continue;
        await writeAtomically(join(dir, file), body.bytes);
        written.set(path, body.etag);
      }
    }
  };
  const schedule = (state: SnapshotState) => {
    latest = state;
    writing ??= flush()
      .catch((err: unknown) => ctx.log.error({ err }, 'could not write the static fallback'))
      .finally(() => {
        writing = undefined;
        // A change that arrived after the last loop turn.
        if (latest) schedule(latest);
      });
  };

  // The first state once start-up has gone on (with WEB_CONCURRENCY, the workers are forked meanwhile):
  // building it holds the event loop, a long history a second or more.
  const first = setImmediate(() => {
    try {
      schedule(ctx.snapshot.current());
    } catch (err) {
      ctx.log.error({ err }, 'no state to write to the static fallback yet');
    }
  });
  return {
    write: schedule,
    // At stop, the state of the last commit is written too (its rebuild may still be pending).
    stop: async () => {
      clearImmediate(first);
      try {
        schedule(ctx.snapshot.current());
      } catch {
        // Nothing newer to write.
      }
      await assets.catch(() => undefined);
      while (writing) await writing;
    },
  };
}
