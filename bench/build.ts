// The build the image runs (tsconfig.build.json, plain JavaScript), compiled once per bench process
// into a scratch tree inside the repository (so node_modules resolves) and removed when it exits.
// The mcpgw servers of the load rows and the idle rows run from it, so no TypeScript loader sits in
// the measured process.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
let tree: string | undefined;

/** The compiled tree's directory (its `src/` mirrors the repository's). */
export function compiledTree(): string {
  if (tree) return tree;
  mkdirSync(path.join(root, 'tmp'), { recursive: true });
  const out = mkdtempSync(path.join(root, 'tmp', 'bench-dist-'));
  process.once('exit', () => rmSync(out, { recursive: true, force: true }));
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const built = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', out], { cwd: root, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`tsc: ${built.stdout}${built.stderr}`);
  return (tree = out);
}
