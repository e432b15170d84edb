// Name globs and the per-server tool lists that src/core uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileGlobs, compileToolList } from '../../src/policy/index.js';

test('globs: exact names, * runs, ? one character, everything else literal', () => {
  const m = compileGlobs(['echo', 'read_*', 'v?', 'a.b', 'x+(y)', '[z]']);
  const cases: [string, boolean][] = [
    ['echo', true], ['echo2', false], ['read_', true], ['read_a/b\nc', true], ['v1', true], ['v10', false],
    ['a.b', true], ['axb', false], ['x+(y)', true], ['xx(y)', false], ['[z]', true], ['z', false],
  ];
  for (const [name, want] of cases) assert.equal(m(name), want, name);
});

test('globs: ? is one code point, so one emoji counts once', () => {
  assert.equal(compileGlobs(['file:///?.txt'])('file:///🎉.txt'), true);
});

test('globs: no patterns match nothing', () => {
  assert.equal(compileGlobs([])('anything'), false);
});

test('tool lists: deny wins, allow is required', () => {
  const gate = compileToolList({ allow: ['*'], deny: ['delete_*'] });
  assert.equal(gate('echo'), true);
  assert.equal(gate('delete_everything'), false);
  assert.equal(compileToolList({ allow: ['echo'], deny: [] })('whoami'), false);
});
