// The module layering (docs/architecture.md, "Layers") as rules dependency-cruiser checks on src/:
// no cycles through modules (type imports included), only index.ts imports across modules, a pure
// core, adapters that never import each other. A failure prints every violation with its path.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

const root = path.resolve(import.meta.dirname, '../..');
const depcruise = path.join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

async function cruise(args: string[]): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [depcruise, ...args], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
    return { ok: true, output: stdout };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` || e.message };
  }
}

describe('module layering (.dependency-cruiser.cjs)', () => {
  it('src/ has no dependency violations', async () => {
    const r = await cruise(['src', '--config', '.dependency-cruiser.cjs', '--output-type', 'err-long']);
    assert.ok(r.ok, `dependency violations in src/:\n${r.output}`);
  });

  it('every rule is an error, so a violation fails this test', async () => {
    const config = createRequire(import.meta.url)(path.join(root, '.dependency-cruiser.cjs')) as { forbidden: Array<{ name: string; severity: string }> };
    const names = config.forbidden.map((r) => r.name);
    for (const rule of ['no-cycles', 'through-index-only', 'core-is-pure', 'core-loads-no-io', 'adapters-are-independent']) assert.ok(names.includes(rule), `rule ${rule} is missing`);
    assert.deepEqual(config.forbidden.filter((r) => r.severity !== 'error').map((r) => r.name), []);
  });
});
