// The kernel's TCP counters (/proc/net/netstat, /proc/net/snmp) that say where connections were lost:
// a full accept queue (ListenOverflows), SYNs dropped or answered with cookies, SYNs sent again by
// clients that got no answer. Machine-wide: whatever else runs on the machine counts too.
import { readFileSync } from 'node:fs';

const WATCHED = ['ListenOverflows', 'ListenDrops', 'TCPReqQFullDrop', 'TCPReqQFullDoCookies', 'SyncookiesSent', 'TCPSynRetrans', 'TCPBacklogDrop'] as const;

function counters(file: string): Map<string, number> {
  const found = new Map<string, number>();
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const names = (lines[i] ?? '').split(/\s+/);
    const values = (lines[i + 1] ?? '').split(/\s+/);
    names.forEach((name, j) => found.set(name, Number(values[j])));
  }
  return found;
}

export type TcpCounters = Record<(typeof WATCHED)[number], number>;

export function tcpCounters(): TcpCounters {
  try {
    const all = counters('/proc/net/netstat');
    return Object.fromEntries(WATCHED.map((n) => [n, all.get(n) ?? 0])) as TcpCounters;
  } catch {
    return Object.fromEntries(WATCHED.map((n) => [n, 0])) as TcpCounters;
  }
}

/** "ListenOverflows 12 · TCPSynRetrans 340": the counters that grew between two readings. */
export function grew(before: TcpCounters, after: TcpCounters): string {
  const moved = WATCHED.map((n) => [n, after[n] - before[n]] as const).filter(([, d]) => d > 0);
  return moved.length ? moved.map(([n, d]) => `${n} ${d}`).join(' · ') : 'none';
}
