// The bench harness end to end in its tiny mode (a few hundred requests per row, nothing pinned,
// no Redis): every scenario yields its rows, with numbers. No timing is asserted.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { parseOptions } from '../../bench/options.js';
import type { BenchResult, Row } from '../../bench/report.js';
import { runBench } from '../../bench/run.js';
import { scenarios } from '../../bench/scenarios.js';

const isNumber = (n: unknown) => typeof n === 'number' && Number.isFinite(n);

describe('npm run bench -- --tiny', () => {
  const out = mkdtempSync(path.join(tmpdir(), 'mcpgw-bench-'));
  after(() => rmSync(out, { recursive: true, force: true }));

  it('writes a JSON result with every scenario row, each with numbers', async () => {
    const opts = parseOptions(['--tiny', '--no-taskset', '--no-redis', '--out', out], out);
    const { file } = await runBench(opts, () => undefined);
    const result = JSON.parse(readFileSync(file, 'utf8')) as BenchResult;

    assert.equal(result.mode, 'tiny');
    assert.ok(result.machine.cores >= 1 && result.machine.node.startsWith('v') && result.machine.gitCommit && result.machine.cpuModel);
    assert.equal(result.machine.taskset, false);

    const ids = new Set(result.rows.map((r) => r.id));
    const byPrefix = (id: string) => result.rows.filter((r) => r.id === id || r.id.startsWith(`${id}.`));
    for (const s of scenarios(opts.sizes.levels)) {
      const rows = byPrefix(s.id);
      assert.ok(rows.length > 0, `no row for scenario ${s.id}`);
      if (s.pending) {
        assert.match(rows[0]?.note ?? '', /^pending: issue \d+$/, s.id);
        assert.equal(rows[0]?.status, 'pending');
      } else if (s.needsRedis) assert.equal(rows[0]?.status, 'skipped', s.id);
    }
    const measured = result.rows.filter((r) => r.status !== 'pending' && r.status !== 'skipped');
    const failed = measured.filter((r) => r.status === 'error');
    assert.deepEqual(failed.map((r) => `${r.id}: ${r.note}`), []);
    for (const r of measured) assertNumbers(r);

    for (const c of opts.sizes.levels) {
      for (const id of [`check.c${c}`, `extproc.c${c}`]) {
        const r = result.rows.find((x) => x.id === id);
        assert.ok(r && isNumber(r.ratio?.p50) && isNumber(r.ratio?.p99) && isNumber(r.ratio?.rps), `${id} has ratios`);
        assert.ok(isNumber(r.subject?.rps) && isNumber(r.baseline?.rps), `${id} has throughput`);
        assert.ok(!r.subject?.errors && !r.baseline?.errors, `${id} had errors: ${r.note}`);
      }
    }
    for (const id of ['routing.initialize.scaling', 'sessions.memory.follow.scaling', 'sse.first-event', 'memory.process.memory-registry', 'routing.keys.ring.build.300', 'routing.keys.maglev.lookup']) {
      assert.ok(ids.has(id), `missing row ${id}`);
    }
  });
});

function assertNumbers(r: Row): void {
  if (r.value !== undefined) {
    assert.ok(isNumber(r.value) && r.value > 0, `${r.id}: value ${r.value}`);
    return;
  }
  for (const cell of [r.subject, r.baseline].filter((c) => c !== undefined)) {
    for (const k of ['count', 'p50', 'p90', 'p99', 'max'] as const) assert.ok(isNumber(cell?.[k]) && (cell?.[k] ?? 0) > 0, `${r.id}: ${k} = ${cell?.[k]}`);
  }
  assert.ok(r.subject, `${r.id} has a subject`);
}
