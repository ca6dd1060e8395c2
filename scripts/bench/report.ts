import { execSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../server/lib/paths.js';

/** The machine and commit a figure was measured on, for docs/benchmarks.md. */
export function provenance(): string {
  const commit = (() => {
    try {
      return execSync('git rev-parse --short HEAD', { cwd: projectRoot() }).toString().trim();
    } catch {
      return 'unknown';
    }
  })();
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC · commit ${commit} · ${cpus().length} × ${cpu} · ${Math.round(totalmem() / 2 ** 30)} GiB · Node ${process.version}`;
}

/** Prints a table and appends it, with its provenance and command, to docs/benchmarks.md. */
export function report(title: string, command: string, rows: [string, string, string?][], notes: string[] = []): void {
  const table = ['| measure | value | target |', '|---|---|---|', ...rows.map(([m, v, t]) => `| ${m} | ${v} | ${t ?? ''} |`)].join('\n');
  const block = `\n### ${title}\n\n${provenance()}\n\n\`${command}\`\n\n${table}\n${notes.map((n) => `\n${n}`).join('')}\n`;
  console.log(block);
  const file = join(projectRoot(), 'docs', 'benchmarks.md');
  if (!existsSync(file)) writeFileSync(file, '# Benchmarks\n\nFigures appended by `npm run bench` (scripts/bench). Each run names its machine and commit.\n');
  if (!readFileSync(file, 'utf8').includes(block.trim())) appendFileSync(file, block);
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}
