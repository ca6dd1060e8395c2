import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { maintenanceInput, newIncidentInput, updateInput } from '../../../server/domain/incidents/schemas.js';
import { componentInput } from '../../../server/domain/page/components.js';
import { flag, formTyped, parseInput } from '../../../server/lib/validate.js';

/** A form sends text only: formTyped gives the schemas what a JSON body would have held. */
describe('formTyped', () => {
  it('turns "true"/"false" and "1"/"0" into booleans where the schema takes a boolean', () => {
    const schema = z.object({ a: flag, b: flag.default(true), c: flag.optional(), d: flag, e: flag });
    assert.deepEqual(formTyped(schema, { a: 'true', b: 'false', c: '1', d: '0', e: 'yes' }), { a: true, b: false, c: true, d: false, e: 'yes' });
  });

  it('turns decimal text into numbers where the schema takes a number, and tries each option of a union', () => {
    const minutes = maintenanceInput;
    const typed = formTyped(minutes, { scheduled_remind_prior: '30', scheduled_auto_in_progress: 'false' }) as Record<string, unknown>;
    assert.equal(typed.scheduled_remind_prior, 30);
    assert.equal(typed.scheduled_auto_in_progress, false);
    assert.equal((formTyped(minutes, { scheduled_remind_prior: 'true' }) as Record<string, unknown>).scheduled_remind_prior, true);
    assert.equal((formTyped(minutes, { scheduled_remind_prior: '1e3' }) as Record<string, unknown>).scheduled_remind_prior, '1e3', 'only plain decimals');
  });

  it('leaves text where the schema takes text, even "true" or digits (a component may be called "2")', () => {
    assert.deepEqual(formTyped(componentInput, { name: 'true', description: '2', showcase: 'false' }), { name: 'true', description: '2', showcase: false });
  });

  it('types the values of records and lists, and makes a lone value a list where the schema takes one', () => {
    const typed = formTyped(newIncidentInput, {
      name: 'Database outage',
      components: { abc: 'major_outage' },
      component_ids: 'abc',
      deliver_notifications: 'false',
    });
    assert.deepEqual(typed, { name: 'Database outage', components: { abc: 'major_outage' }, component_ids: ['abc'], deliver_notifications: false });
    assert.deepEqual(formTyped(z.object({ l: z.array(flag) }), { l: ['true', 'false', 'x'] }), { l: [true, false, 'x'] });
  });

  it('gives the same parsed input as the JSON body would', () => {
    const json = { name: 'Outage', status: 'identified', components: { abc: 'major_outage' }, deliver_notifications: false, component_ids: ['abc'] };
    const form = { name: 'Outage', status: 'identified', components: { abc: 'major_outage' }, deliver_notifications: 'false', component_ids: ['abc'] };
    assert.deepEqual(parseInput(newIncidentInput, formTyped(newIncidentInput, form)), parseInput(newIncidentInput, json));
    assert.deepEqual(
      parseInput(updateInput, formTyped(updateInput, { status: 'resolved', deliver_notifications: 'true' })),
      parseInput(updateInput, { status: 'resolved', deliver_notifications: true }),
    );
  });

  it('keeps unknown fields and prototype names as plain data', () => {
    const typed = formTyped(componentInput, JSON.parse('{"__proto__": "x", "constructor": "true", "showcase": "constructor"}') as unknown) as Record<
      string,
      unknown
    >;
    assert.equal(Object.getPrototypeOf(typed), Object.prototype);
    assert.equal(typed.constructor, 'true');
    assert.equal(typed.showcase, 'constructor');
    assert.ok(Object.hasOwn(typed, '__proto__'));
  });

  it('leaves what is not an object where the schema wants one', () => {
    for (const v of ['text', 1, null, undefined, ['a']]) assert.deepEqual(formTyped(componentInput, v), v);
  });
});
