import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMarkdownText } from '../../../server/render/markdown-text.js';

/** The text part of mail: the operator's Markdown as a reader of plain text should see it. */
describe('Markdown as plain text', () => {
  const text = createMarkdownText();

  it('drops emphasis markers and keeps the words', () => {
    assert.equal(
      text('We are under a **large-scale DDoS attack**, _mitigating_ it, ~~not~~ *yet* __done__.'),
      'We are under a large-scale DDoS attack, mitigating it, not yet done.',
    );
    assert.equal(text('2 \\* 3 and a_b_c'), '2 * 3 and a_b_c', 'escaped and intra-word markers stay as typed');
  });

  it('writes a link as "text (url)", and an address shown as itself once', () => {
    assert.equal(text('See [the dashboard](https://grafana.acme.test/d/ddos "Live").'), 'See the dashboard (https://grafana.acme.test/d/ddos).');
    assert.equal(
      text('At https://acme.test/status or <https://acme.test/a>, mail ops@acme.test.'),
      'At https://acme.test/status or https://acme.test/a, mail ops@acme.test.',
    );
    assert.equal(text('[https://acme.test](https://acme.test)'), 'https://acme.test');
    assert.equal(text('[**bold** label](https://acme.test/x)'), 'bold label (https://acme.test/x)');
    assert.equal(text('[](https://acme.test/empty)'), 'https://acme.test/empty');
    assert.equal(
      text('![Error rate](https://img.acme.test/a.png) ![](https://img.acme.test/b.png)'),
      'Error rate (https://img.acme.test/a.png) https://img.acme.test/b.png',
    );
    assert.equal(text('[click](javascript:alert(1))'), '[click](javascript:alert(1))', 'a refused link stays the text it was (as the HTML part shows it)');
  });

  it('keeps lists with their markers, numbered as the HTML shows them, nested ones indented', () => {
    assert.equal(text('Affected:\n\n- Login\n- The **API**\n  - v1\n  - v2\n- Web'), 'Affected:\n\n- Login\n- The API\n  - v1\n  - v2\n- Web');
    assert.equal(text('* one\n* two'), '* one\n* two');
    assert.equal(text('1. Filter\n1. Scale\n1. Watch'), '1. Filter\n2. Scale\n3. Watch');
    assert.equal(text('3) third\n4) fourth'), '3) third\n4) fourth');
    assert.equal(text('- loose one\n\n- loose two\n  continued'), '- loose one\n\n- loose two\n  continued');
    assert.equal(text('10. ten\n    second paragraph line\n11. eleven'), '10. ten\n    second paragraph line\n11. eleven');
  });

  it('puts headings on lines of their own, keeps code, quotes with ">", tables as rows', () => {
    assert.equal(text('# What we know\nThe cause.\n## Next\nMore.'), 'What we know\n\nThe cause.\n\nNext\n\nMore.');
    assert.equal(
      text('Run `curl -sI https://api.acme.test`:\n\n```sh\ncurl -sI https://api.acme.test\n  | head -1\n```'),
      'Run `curl -sI https://api.acme.test`:\n\n    curl -sI https://api.acme.test\n      | head -1',
    );
    assert.equal(text('> Customers *see* errors\n> on login'), '> Customers see errors\n> on login');
    assert.equal(text('| Region | Status |\n|---|---|\n| EU | **down** |'), 'Region | Status\nEU | down');
    assert.equal(text('Before\n\n---\n\nAfter'), 'Before\n\n----\n\nAfter');
    assert.equal(text('    kubectl get pods\n\nThen wait.'), '    kubectl get pods\n\nThen wait.', 'a text opening with code keeps its indent');
  });

  it('keeps line breaks as typed, decodes entities and never writes HTML', () => {
    assert.equal(text('First line\nsecond line'), 'First line\nsecond line');
    const out = text('Fish &amp; chips &lt;3 <b>typed tag</b> & "quotes"');
    assert.equal(out, 'Fish & chips <3 <b>typed tag</b> & "quotes"', 'typed tags stay the text the HTML part shows, nothing escaped');
    assert.doesNotMatch(text('**a** [b](https://c.test)\n\n- d'), /<\/?(strong|em|a|ul|li|p)\b|&amp;/);
    assert.equal(text(''), '');
  });
});
