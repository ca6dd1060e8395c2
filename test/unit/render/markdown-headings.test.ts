import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMarkdown } from '../../../server/render/markdown.js';

/** An operator's `# Heading` sits under the heading of the update or notice it is in, never as a page-size h1. */
describe('Markdown headings and tables', () => {
  const md = createMarkdown({ imageOrigins: [] });

  it('shifts headings below the level they sit under (h4 by default, under an incident h3)', () => {
    assert.equal(md('# Impact\n## Detail\n#### Deep').trim(), '<h4>Impact</h4>\n<h5>Detail</h5>\n<h6>Deep</h6>');
    assert.equal(md('# Timeline', 3).trim(), '<h3>Timeline</h3>', 'under an h2 (the incident page, a notice section)');
    assert.equal(md('# In a mail', 2).trim(), '<h2>In a mail</h2>', 'under the mail h1');
    assert.equal(md('## What happened\n### Detail', 3).trim(), '<h3>What happened</h3>\n<h4>Detail</h4>', 'a text starting at ## skips no level');
  });

  it('renders tables', () => {
    assert.match(md('| Region | Status |\n|---|---|\n| EU | ok |'), /<table>[\s\S]*<th>Region<\/th>[\s\S]*<td>EU<\/td>/);
  });
});
