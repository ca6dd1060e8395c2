import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createIncident } from '../../server/domain/incidents/writes.js';
import { startPharos, type TestPharos } from '../helpers/pharos.js';

const system = { type: 'system' } as const;
const BODY = [
  'Error rates: ![Error rate graph](https://grafana.example.com/render/d/errors.png)',
  'Elsewhere: ![](https://images.example.org/x.png)',
  'Ours: ![Our logo](/img/logo.png)',
].join('\n\n');

/** The images a browser would be allowed to load under the page's Content-Security-Policy. */
function imgSrcOf(csp: string): string[] {
  return (/img-src ([^;]+)/.exec(csp)?.[1] ?? '').split(' ');
}

describe('images in operator Markdown', () => {
  let plain: TestPharos;
  let allowing: TestPharos;
  let plainId = '';
  let allowingId = '';
  before(async () => {
    plain = await startPharos();
    allowing = await startPharos({ env: { MARKDOWN_IMAGE_HOSTS: 'https://grafana.example.com' } });
    plainId = createIncident(plain.ctx, system, { name: 'Elevated errors', body: BODY }).id;
    allowingId = createIncident(allowing.ctx, system, { name: 'Elevated errors', body: BODY }).id;
  });
  after(async () => {
    await plain.close();
    await allowing.close();
  });

  it('shows an image from another origin as a link (the CSP would make it a broken icon)', async () => {
    for (const path of [`/incidents/${plainId}`, '/']) {
      const res = await request(plain.app).get(path).expect(200);
      assert.doesNotMatch(res.text, /<img[^>]+grafana\.example\.com/, path);
      assert.match(
        res.text,
        /<a href="https:\/\/grafana\.example\.com\/render\/d\/errors\.png" rel="nofollow noopener noreferrer" class="image-link">Error rate graph<\/a>/,
        path,
      );
      assert.match(
        res.text,
        /<a href="https:\/\/images\.example\.org\/x\.png"[^>]*>https:\/\/images\.example\.org\/x\.png<\/a>/,
        `${path}: without alt text, the address`,
      );
      assert.match(res.text, /<img src="\/img\/logo\.png" alt="Our logo" loading="lazy">/, `${path}: an image of this site stays an image`);
      assert.deepEqual(imgSrcOf(String(res.headers['content-security-policy'])), ["'self'", 'data:']);
    }
  });

  it('shows images from MARKDOWN_IMAGE_HOSTS, which the CSP then allows, and still links the others', async () => {
    const res = await request(allowing.app).get(`/incidents/${allowingId}`).expect(200);
    assert.match(res.text, /<img src="https:\/\/grafana\.example\.com\/render\/d\/errors\.png" alt="Error rate graph" loading="lazy">/);
    assert.match(res.text, /<a href="https:\/\/images\.example\.org\/x\.png"/);
    assert.deepEqual(imgSrcOf(String(res.headers['content-security-policy'])), ["'self'", 'data:', 'https://grafana.example.com']);
  });
});
