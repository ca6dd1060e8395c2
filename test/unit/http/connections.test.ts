import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connectionBudget, openFileLimit } from '../../../server/http/connections/budget.js';
import { isOperatorPath } from '../../../server/http/connections/operator-paths.js';
import { proxyPeer, proxyTrust } from '../../../server/lib/client-address.js';

describe('connection caps: the pure parts', () => {
  it('reads the soft limit of open files, with 1,024 when it cannot', () => {
    const limits =
      'Limit                     Soft Limit           Hard Limit           Units\nMax open files            4096                 524288               files\n';
    assert.equal(
      openFileLimit(() => limits),
      4096,
    );
    assert.equal(
      openFileLimit(() => limits.replace('4096', 'unlimited')),
      1_048_576,
    );
    assert.equal(
      openFileLimit(() => 'nothing useful'),
      1024,
    );
    assert.equal(
      openFileLimit(() => {
        throw new Error('no /proc');
      }),
      1024,
    );
  });

  it('keeps a reserve and an operators’ headroom below the descriptor limit', () => {
    assert.deepEqual(connectionBudget(65_536), { total: 64_512, public: 63_488 });
    assert.deepEqual(connectionBudget(1024), { total: 973, public: 876 });
    assert.deepEqual(connectionBudget(512), { total: 480, public: 432 });
    for (const limit of [16, 64, 256, 100_000]) {
      const b = connectionBudget(limit);
      assert.ok(b.public < b.total && b.total < limit, `${limit}: ${JSON.stringify(b)}`);
    }
  });

  it('serves only the admin, the management API, the alert receivers, health and static files in the headroom', () => {
    for (const path of [
      '/admin',
      '/admin/incidents/1',
      '/admin/live/?EIO=4',
      '/setup?token=x',
      '/api/v1/pages/p',
      '/api/integrations/grafana',
      '/healthz',
      '/css/pharos.css',
    ]) {
      assert.ok(isOperatorPath(path), path);
    }
    for (const path of ['/', '/history?page=2', '/api/v2/status.json', '/socket.io/?EIO=4', '/administrator', '/api/v10', '/subscribe', undefined]) {
      assert.ok(!isOperatorPath(path), String(path));
    }
  });

  it('trusts what TRUST_PROXY says, as Express does', () => {
    assert.equal(proxyTrust(false)('127.0.0.1', 0), false);
    assert.equal(proxyTrust(true)('203.0.113.1', 0), true);
    assert.equal(proxyTrust(1)('203.0.113.1', 0), true);
    assert.equal(proxyTrust(1)('203.0.113.1', 1), false);
    assert.equal(proxyTrust('loopback')('127.0.0.9', 0), true);
    assert.equal(proxyTrust('loopback, 10.0.0.0/8')('10.1.2.3', 0), true);
    assert.equal(proxyTrust('loopback')('203.0.113.1', 0), false);
  });

  it('exempts from the per-address count only the peers that are proxies: a hop count trusts no public peer', () => {
    assert.equal(proxyPeer(false)('127.0.0.1'), false);
    assert.equal(proxyPeer('loopback')('127.0.0.9'), true);
    assert.equal(proxyPeer('loopback')('10.1.2.3'), false);
    assert.equal(proxyPeer('10.0.0.0/8')('10.1.2.3'), true);
    for (const trust of [1, 2, true] as const) {
      assert.equal(proxyPeer(trust)('203.0.113.1'), false, `${String(trust)}: a public peer is a client`);
      assert.equal(proxyPeer(trust)('2001:db8::1'), false, `${String(trust)}: a public IPv6 peer is a client`);
      for (const near of ['127.0.0.1', '10.0.0.5', '192.168.1.2', '172.16.0.1', '::1', 'fd00::1', '::ffff:10.0.0.5'])
        assert.equal(proxyPeer(trust)(near), true, `${String(trust)}: ${near}`);
    }
    assert.equal(proxyPeer(0)('127.0.0.1'), false);
  });
});
