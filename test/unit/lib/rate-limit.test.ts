import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SlidingWindow } from '../../../server/lib/rate-limit.js';

describe('SlidingWindow: a token or a refusal, in one step', () => {
  it('takes up to the limit in the window, refuses past it without counting the refusal, and says when a token frees up', () => {
    const w = new SlidingWindow(60_000);
    for (let i = 0; i < 3; i++) assert.equal(w.take('k', 3, 1_000 + i * 10_000).taken, true);
    const refused = w.take('k', 3, 30_000);
    assert.deepEqual(refused, { taken: false, count: 3, retryAfterMs: 31_000 });
    assert.equal(w.take('other', 3, 30_000).taken, true, 'keys apart');
    // The first token (at 1,000) has left the window at 61,000.
    assert.equal(w.take('k', 3, 61_000).taken, true);
    assert.equal(w.take('k', 3, 61_000).taken, false);
  });

  it('gives back a token, which frees its place at once', () => {
    const w = new SlidingWindow(60_000);
    const first = w.take('k', 2, 0);
    w.take('k', 2, 5);
    assert.equal(w.take('k', 2, 10).taken, false);
    assert.ok(first.taken);
    w.giveBack(first.token);
    w.giveBack(first.token);
    const again = w.take('k', 2, 10);
    assert.equal(again.taken, true);
    assert.equal(again.count, 2, 'a token given back twice frees one place, not two');
  });

  it('keeps counting a key that keeps trying when refusals count, and frees it a window after its last tries', () => {
    const w = new SlidingWindow(60_000, true);
    assert.equal(w.take('k', 2, 0).taken, true);
    assert.equal(w.take('k', 2, 0).taken, true);
    for (let t = 10_000; t <= 50_000; t += 10_000) assert.equal(w.take('k', 2, t).taken, false);
    assert.equal(w.take('k', 2, 95_000).taken, false, 'the tries at 40 and 50 s are in the window');
    assert.equal(w.take('k', 2, 161_000).taken, true);
  });

  it('holds at most the limit per key however many tries arrive, and orders times that arrive out of order', () => {
    const w = new SlidingWindow(60_000, true);
    for (let i = 0; i < 100_000; i++) w.take('flood', 10, i);
    const last = w.take('flood', 10, 100_000);
    assert.equal(last.count, 10);
    const x = new SlidingWindow(1_000);
    x.take('k', 3, 500);
    x.take('k', 3, 400);
    x.take('k', 3, 450);
    // 400 leaves first: at 1,400 one token is free again.
    assert.deepEqual(x.take('k', 3, 1_399), { taken: false, count: 3, retryAfterMs: 1 });
    assert.equal(x.take('k', 3, 1_400).taken, true);
  });

  it('forgets the least recently seen keys past its bound', () => {
    const w = new SlidingWindow(60_000, false, 2);
    w.take('a', 1, 0);
    w.take('b', 1, 0);
    w.take('a', 1, 1);
    w.take('c', 1, 2);
    assert.equal(w.take('a', 1, 3).taken, false, 'a was seen lately: kept');
    assert.equal(w.take('b', 1, 3).taken, true, 'b was forgotten');
  });
});
