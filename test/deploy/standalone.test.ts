// The repository stands alone: a plain clone has every file its tests and docs use. Checked three
// ways: no tracked file names a path beside the repository, every relative link in the Markdown docs
// lands on a tracked file, and tests that read test data run from a copy of the tracked files alone
// (in an otherwise empty directory, so nothing beside the copy can be found). The full proof, a fresh
// clone plus `npm ci && npm test`, needs the registry and the whole suite's time; it is run before
// every release (README.md).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { REPO_ROOT, repoPath } from './repo.js';

const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
const TEXT = /\.(ts|js|mjs|json|ya?ml|md|sh|txt)$|(^|\/)Dockerfile$/;
// Built from parts so this file does not match itself.
const OUTSIDE = new RegExp(['\\.\\./sha', 'red/|/work/sha', 'red\\b'].join(''));

describe('the repository stands alone', () => {
  test('no tracked file refers to a folder beside the repository', () => {
    const offenders = tracked.filter((f) => TEXT.test(f) && f !== 'package-lock.json' && OUTSIDE.test(readFileSync(repoPath(f), 'utf8')));
    assert.deepEqual(offenders, []);
  });

  test('every relative link in the Markdown docs points at a tracked file', () => {
    const files = new Set(tracked);
    const broken: string[] = [];
    for (const md of tracked.filter((f) => f.endsWith('.md'))) {
      const text = readFileSync(repoPath(md), 'utf8').replace(/```[\s\S]*?```/g, '');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (!target || /^[a-z]+:|^#/.test(target)) continue; // web links and anchors in the same page
        const relative = path.posix.normalize(path.posix.join(path.posix.dirname(md), target.split('#')[0]!)).replace(/\/$/, '');
        const exists = files.has(relative) || tracked.some((f) => f.startsWith(`${relative}/`));
        if (relative.startsWith('..') || !exists) broken.push(`${md}: ${target}`);
      }
    }
    assert.deepEqual(broken, []);
  });

  describe('from a copy of the tracked files alone', () => {
    const parent = mkdtempSync(path.join(tmpdir(), 'mcpgw-standalone-'));
    after(() => rmSync(parent, { recursive: true, force: true }));
    const copy = path.join(parent, 'repo');
    for (const f of tracked) {
      mkdirSync(path.dirname(path.join(copy, f)), { recursive: true });
      copyFileSync(repoPath(f), path.join(copy, f));
    }
    // Dependencies are npm's job (`npm ci`), not the repository's: reuse the installed ones.
    symlinkSync(realpathSync(repoPath('node_modules')), path.join(copy, 'node_modules'));

    test('the hash-vector tests pass', () => {
      // A child of `node --test` would report to its parent's runner instead of printing its results.
      const env = { ...process.env };
      delete env['NODE_TEST_CONTEXT'];
      const run = () =>
        execFileSync(process.execPath, ['--import', 'tsx', '--test', 'test/routing/xxh64.test.ts', 'test/routing/requestHash.test.ts'], {
          cwd: copy,
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
          env,
        });
      let out = '';
      assert.doesNotThrow(() => {
        out = run();
      });
      assert.match(out, /# fail 0/);
      assert.doesNotMatch(out, /# pass 0\b/);
    });

    test('the base kustomization renders', () => {
      const out = execFileSync('kubectl', ['kustomize', path.join(copy, 'istio/base')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      assert.match(out, /kind: Deployment/);
    });
  });
});
