import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { similarNames } from '../../../../server/domain/incidents/similar.js';

/** Which incident names the new-incident form asks about (a second incident mails every subscriber again). */
describe('similar incident names', () => {
  it('the same name, however it is cased, spaced or punctuated', () => {
    assert.ok(similarNames('Payments failing', 'Payments failing'));
    assert.ok(similarNames('Payments failing', '  payments   FAILING! '));
    assert.ok(similarNames('API: errors', 'API errors'));
  });

  it('every word of one in the other, plurals and filler words aside', () => {
    assert.ok(similarNames('Payments failing', 'Payments failing in the EU'));
    assert.ok(similarNames('API error', 'Elevated API errors'));
    assert.ok(similarNames('The login page is down', 'Login page down'));
  });

  it('a typo or a changed ending', () => {
    assert.ok(similarNames('Payments failing', 'Payment failng'));
    assert.ok(similarNames('Elevated error rates', 'Elevated error rate'));
  });

  it('in any script', () => {
    assert.ok(similarNames('Zahlungen schlagen fehl', 'zahlungen schlagen fehl'));
    assert.ok(similarNames('支付失败', '支付失败'));
    assert.ok(similarNames('Оплата не проходит', 'оплата не проходит в ЕС'));
  });

  it('different problems are not asked about', () => {
    assert.equal(similarNames('Payments failing', 'Login page down'), false);
    assert.equal(similarNames('Typed with the keyboard', 'Typed by the operator'), false);
    assert.equal(similarNames('Database upgrade', 'Mail delayed'), false);
    assert.equal(similarNames('Elevated error rates', 'Elevated latency on search'), false);
  });

  it('a name of nothing but punctuation is like no other', () => {
    assert.equal(similarNames('!!!', '???'), false);
    assert.equal(similarNames('', 'Payments failing'), false);
  });
});
