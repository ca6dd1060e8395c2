import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RemoteLimits } from '../../../server/cluster/remote-limits.js';
import { HttpError } from '../../../server/errors.js';

describe('a worker whose primary does not answer a limit', () => {
  it('refuses with a 503 to retry, never lets the request through nor fails with a 500', async () => {
    // An IPC channel to a primary that is stuck: nothing ever comes back.
    const limits = new RemoteLimits(() => undefined);
    const err = await limits.take('api-requests', 'key', 60, Date.now()).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof HttpError, String(err));
    assert.equal(err.status, 503);
    assert.equal(err.retryAfterSeconds, 5);
  });
});
