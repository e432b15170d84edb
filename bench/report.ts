// Result rows, the stdout table and the JSON file.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LatencySummary } from './histogram.js';
import type { MachineInfo } from './machine.js';
import type { ProfileSummary } from './profile/summarize.js';

export interface Cell extends Partial<LatencySummary> {
  /** Requests per second (gRPC rows). */
  rps?: number;
  errors?: number;
  firstError?: string;
}

export interface Row {
  /** Stable id, e.g. "check.c16"; the smoke test asserts every id is present. */
  id: string;
  section: string;
  title: string;
  status: 'ok' | 'pending' | 'skipped' | 'error';
  /** What mcpgw (or the large case) measured; latency in µs. */
  subject?: Cell;
  /** The baseline (bare server, no mcpgw, or the small case). */
  baseline?: Cell;
  baselineName?: string;
  ratio?: { p50?: number; p99?: number; rps?: number };
  /** Scalar rows (bytes, ns per op, ms). */
  value?: number;
  unit?: string;
  target?: string;
  met?: boolean;
  note?: string;
}

export interface BenchResult {
  machine: MachineInfo;
  mode: string;
  durationSeconds: number;
  rows: Row[];
  profiles?: Record<string, ProfileSummary & { file: string }>;
}

export const ratio = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined || b === undefined || b === 0 ? undefined : Math.round((a / b) * 100) / 100;

export function cellOf(s: Partial<LatencySummary> & { rps?: number; errors?: number; firstError?: string }): Cell {
  const c: Cell = { count: s.count, p50: s.p50, p90: s.p90, p99: s.p99, max: s.max };
  if (s.rps !== undefined) c.rps = s.rps;
  if (s.errors) c.errors = s.errors;
  if (s.firstError) c.firstError = s.firstError;
  return c;
}

/** A row comparing subject with baseline on p50, p99 and throughput. */
export function pairRow(base: Omit<Row, 'status' | 'subject' | 'baseline' | 'ratio'>, subject: Cell, baseline: Cell, check?: (r: NonNullable<Row['ratio']>) => boolean): Row {
  const r: NonNullable<Row['ratio']> = { p50: ratio(subject.p50, baseline.p50), p99: ratio(subject.p99, baseline.p99) };
  const rps = ratio(subject.rps, baseline.rps);
  if (rps !== undefined) r.rps = rps;
  const row: Row = { ...base, status: 'ok', subject, baseline, ratio: r };
  if (check) row.met = check(r);
  if (subject.errors || baseline.errors) row.note = [row.note, `errors ${subject.errors ?? 0}/${baseline.errors ?? 0}: ${subject.firstError ?? baseline.firstError ?? ''}`].filter(Boolean).join('; ');
  return row;
}

const f = (n: number | undefined, width: number) => (n === undefined ? '' : n >= 1000 ? Math.round(n).toString() : n.toFixed(n >= 100 ? 0 : 1)).padStart(width);
const x = (n: number | undefined) => (n === undefined ? '' : `${n.toFixed(2)}x`).padStart(6);

export function formatTable(result: BenchResult): string {
  const m = result.machine;
  const out = [
    `mcpgw bench (${result.mode}) ${m.date}  commit ${m.gitCommit.slice(0, 12)}${m.gitDirty ? '+dirty' : ''}`,
    `${m.cores} x ${m.cpuModel}, ${m.memoryGiB} GiB, node ${m.node}, taskset: ${m.taskset ? 'yes' : 'no'} (${m.placement})`,
    'latency in µs; "base" is the bare baseline / the path without mcpgw / the small case; ratios are subject ÷ base',
  ];
  let section = '';
  const head = `${'id'.padEnd(34)} ${'p50'.padStart(8)} ${'p90'.padStart(8)} ${'p99'.padStart(8)} ${'max'.padStart(8)} ${'rps'.padStart(6)} | ${'base p50'.padStart(8)} ${'base p99'.padStart(8)} ${'rps'.padStart(6)} | ${'p50x'.padStart(6)} ${'p99x'.padStart(6)} ${'rpsx'.padStart(6)}  target`;
  for (const row of result.rows) {
    if (row.section !== section) {
      section = row.section;
      out.push('', `== ${section}`, head);
    }
    const id = row.id.padEnd(34);
    if (row.status === 'pending' || row.status === 'skipped' || row.status === 'error') {
      out.push(`${id} ${row.status.toUpperCase()}: ${row.note ?? ''}  (${row.title})`);
      continue;
    }
    if (row.value !== undefined) {
      const verdict = row.target ? `  ${row.met === undefined ? '' : row.met ? 'MET ' : 'MISSED '}${row.target}` : '';
      out.push(`${id} ${f(row.value, 8)} ${row.unit ?? ''}  ${row.title}${row.note ? ` (${row.note})` : ''}${verdict}`);
      continue;
    }
    const s = row.subject ?? {};
    const b = row.baseline;
    const verdict = row.target ? `${row.met === undefined ? '' : row.met ? 'MET ' : 'MISSED '}${row.target}` : '';
    out.push(
      `${id} ${f(s.p50, 8)} ${f(s.p90, 8)} ${f(s.p99, 8)} ${f(s.max, 8)} ${f(s.rps, 6)} | ${f(b?.p50, 8)} ${f(b?.p99, 8)} ${f(b?.rps, 6)} | ${x(row.ratio?.p50)} ${x(row.ratio?.p99)} ${x(row.ratio?.rps)}  ${verdict}${row.note ? `  [${row.note}]` : ''}`,
    );
  }
  return out.join('\n');
}

export function writeResult(dir: string, result: BenchResult): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${result.machine.date.slice(0, 10)}${result.mode === 'full' ? '' : `-${result.mode}`}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}
