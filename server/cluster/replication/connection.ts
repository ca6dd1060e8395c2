import { Redis, type RedisOptions } from 'ioredis';
import type { Log } from '../../log.js';

/** Where a Redis URL points, without its password (for logs). */
export function redisAddress(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname.length > 1 ? u.pathname : ''}`;
}

/**
 * An ioredis connection that never queues commands while Redis is away (a caller finds out at once and
 * catches up later, nothing waits on Redis), reconnects by itself with backoff, and logs a lost and a
 * regained connection once each instead of every retry.
 */
export function connectRedis(url: string, log: Log, role: string, options: RedisOptions = {}): Redis {
  const where = redisAddress(url);
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 5000,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
    connectionName: `pharos-${role}`,
    // No CLIENT SETINFO: the Redis users of the docs (README, Scaling) need not be allowed it.
    disableClientInfo: true,
    ...options,
  });
  let down = false;
  redis.on('error', (err: Error) => {
    if (down) return;
    down = true;
    log.warn({ redis: where, role, err: err.message }, 'Redis is unreachable; serving what this node has and retrying');
  });
  redis.on('ready', () => {
    if (down) log.info({ redis: where, role }, 'Redis is reachable again');
    down = false;
  });
  return redis;
}
