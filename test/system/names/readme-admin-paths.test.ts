import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { projectRoot } from '../../../server/lib/paths.js';
import { addUser, confirmAccess, signIn, startPharos, type Agent, type TestPharos } from '../../helpers/pharos.js';

/** "*Admin → Settings → Embed*" and the like, in the README and the docs: what a new operator follows. */
function documentedPaths(): { file: string; path: string[] }[] {
  const out: { file: string; path: string[] }[] = [];
  for (const file of ['README.md', 'docs/deploy.md', 'docs/architecture.md']) {
    const text = readFileSync(join(projectRoot(), file), 'utf8');
    for (const m of text.matchAll(/\*([^*\n]+? → [^*\n]+?)\*/g)) out.push({ file, path: (m[1] ?? '').split(' → ') });
  }
  return out;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** An element whose whole text is `name`: a link, a button, a tab, a heading. */
const shows = (html: string, name: string) => new RegExp(`>\\s*${escape(name)}\\s*<`).test(html);

/**
 * Every "X → Y" path the README gives leads somewhere in the admin under those very words: X in the
 * admin's header (Admin → X), then Y on the page X opens (a heading, a tab, a button).
 */
describe("the README's admin paths match the admin's own words", () => {
  let p: TestPharos;
  let admin: Agent;

  before(async () => {
    p = await startPharos();
    await addUser(p, 'admin@example.com', 'admin');
    admin = await signIn(p, 'admin@example.com');
    // Lists of personal data ask for the password first.
    await confirmAccess(admin);
  });
  after(() => p.close());

  it('finds each step of each path', async () => {
    const paths = documentedPaths();
    assert.ok(paths.length > 10, `${paths.length} paths found`);
    const dashboard = (await admin.get('/admin').expect(200)).text;
    const header = /<header[\s\S]*?<\/header>/.exec(dashboard)?.[0] ?? '';
    const hrefOf = (name: string) => new RegExp(`<a href="([^"]+)"[^>]*>${escape(name)}</a>`).exec(header)?.[1];
    const missing: string[] = [];
    for (const { file, path } of paths) {
      // "Admin → Settings → Embed" starts at the header; "Settings → Branding" and "Dashboard → …" too.
      const steps = path[0] === 'Admin' ? path.slice(1) : path;
      const [first, ...rest] = steps;
      const href = first === undefined ? undefined : hrefOf(first);
      if (!first || !href) {
        missing.push(`${file}: *${path.join(' → ')}*: no "${first ?? ''}" in the admin's header`);
        continue;
      }
      const page = (await admin.get(href).expect(200)).text;
      for (const step of rest) if (!shows(page, step)) missing.push(`${file}: *${path.join(' → ')}*: no "${step}" on ${href}`);
    }
    assert.deepEqual(missing, []);
  });
});
