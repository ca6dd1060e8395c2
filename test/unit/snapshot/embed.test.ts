import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contrast } from '../../../server/lib/colour.js';
import { embedInput } from '../../../server/domain/page/embed.js';
import { frameCsp, snippet } from '../../../server/snapshot/embed.js';

/** The pieces of the embed that are plain functions: its text, its policy, its colours and sites. */
describe('the embed, piece by piece', () => {
  it('shows an update as one line of plain text, cut at a word', () => {
    assert.equal(
      snippet('# Heading\n\nWe are **looking** into [errors](https://x.example) on `api`.\n\n- one\n- two'),
      'Heading We are looking into errors on api. one two',
    );
    const long = snippet('word '.repeat(100));
    assert.ok(long.length <= 161 && long.endsWith('word…'), long);
  });

  it('is framed by any site, or only by those listed; it runs only its own script and posts nowhere else', () => {
    assert.match(frameCsp([]), /frame-ancestors \*$/);
    assert.match(frameCsp(['https://a.example', 'https://b.example:8443']), /frame-ancestors https:\/\/a\.example https:\/\/b\.example:8443$/);
    assert.match(frameCsp([]), /^default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none';/);
  });

  it('measures contrast as WCAG 2 does', () => {
    assert.equal(contrast('#000000', '#ffffff'), 21);
    assert.equal(contrast('#777777', '#777777'), 1);
    assert.equal(contrast('#ffffff', '#b91c1c').toFixed(2), contrast('#b91c1c', '#ffffff').toFixed(2));
    assert.ok(contrast('#ffffff', '#b91c1c') >= 4.5 && contrast('#ffffff', '#2f5fb3') >= 4.5, "Pharos's own colours read");
  });

  it('takes sites as origins only: no path, no CSP keyword or separator can reach the header', () => {
    const sites = (origins: string) => embedInput.shape.origins.safeParse(origins);
    assert.deepEqual(sites('https://www.example.com/\n HTTP://Help.Example.com:8443 , https://*.example.org').data, [
      'https://www.example.com',
      'http://help.example.com:8443',
      'https://*.example.org',
    ]);
    for (const bad of ['https://x.example/path', "'self'", '*', 'https://x.example;script-src', 'javascript:alert(1)', 'data:', 'https://x.example?q']) {
      assert.equal(sites(bad).success, false, bad);
    }
  });
});
