// Debian's wrk, as the benchmarks run it, and what its --latency output says.
import { spawnSync } from 'node:child_process';

export interface WrkResult {
  rps: number;
  p50: number;
  p99: number;
  /** Socket errors or non-2xx/3xx answers, as wrk prints them (empty when none). */
  errors: string;
}

/** Fails early, naming the Debian packages, when a tool is missing. */
export function needTools(...tools: string[]): void {
  for (const tool of tools) {
    if (spawnSync('bash', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`${tool} is needed: apt-get install ${tools.join(' ')}`);
  }
}

export function parseWrk(out: string): WrkResult {
  const ms = (label: string) => {
    const m = new RegExp(`${label}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    if (!m) return NaN;
    const v = Number(m[1]);
    return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
  };
  const errors = [/Socket errors:[^\n]*/.exec(out)?.[0], /Non-2xx or 3xx responses: \d+/.exec(out)?.[0]].filter(Boolean).join(' · ');
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN), p50: ms(' 50'), p99: ms(' 99'), errors };
}

/** wrk -t2 for `seconds` against one URL, with as many open files as allowed. */
export function wrk(url: string, connections: number, seconds: number, headers: string[] = []): WrkResult {
  const args = ['-t2', `-c${connections}`, `-d${seconds}s`, '--latency', ...headers.flatMap((h) => ['-H', h]), url];
  const run = spawnSync('bash', ['-c', `ulimit -n $(ulimit -Hn); exec wrk ${args.map((a) => `'${a}'`).join(' ')}`], {
    encoding: 'utf8',
    timeout: (seconds + 30) * 1000,
  });
  return parseWrk(run.stdout);
}
