import { readFileSync } from 'node:fs';

/** Descriptors assumed when the limit cannot be read (not Linux): the usual default soft limit. */
const FALLBACK_LIMIT = 1024;

/**
 * The process's soft limit of open files (RLIMIT_NOFILE), from /proc/self/limits: every connection is
 * one descriptor, and past the limit accept() fails for everyone, operators included.
 */
export function openFileLimit(read: () => string = () => readFileSync('/proc/self/limits', 'utf8')): number {
  try {
    const soft = /^Max open files\s+(\S+)/m.exec(read())?.[1];
    if (soft === 'unlimited') return 1_048_576;
    const n = Number(soft);
    return Number.isInteger(n) && n > 0 ? n : FALLBACK_LIMIT;
  } catch {
    return FALLBACK_LIMIT;
  }
}

/** How a process's descriptors are shared out among connections. */
export interface ConnectionBudget {
  /** Connections held at once, whoever they are: past it a connection is closed as it is accepted. */
  total: number;
  /** Of those, what the public may hold; the rest is the operators' headroom (connection-guard.ts). */
  public: number;
}

/**
 * A budget under a descriptor limit: a reserve for what is not a connection (the database and its WAL,
 * logs, Redis, the edge's sockets to its primary, the cluster's channel, libuv's own), then a headroom
 * where only operators are served (the admin, /api/v1, the alert receivers), then the public's share.
 * With 65,536 descriptors: 64,512 connections, 63,488 of them public; with 1,024: 973 and 876.
 */
export function connectionBudget(limit: number): ConnectionBudget {
  const clamp = (n: number, min: number, max: number) => Math.max(min, Math.min(max, Math.floor(n)));
  const reserve = clamp(limit * 0.05, 32, 1024);
  const total = Math.max(2, limit - reserve);
  const headroom = clamp(total * 0.1, 1, 1024);
  return { total, public: Math.max(1, total - headroom) };
}
