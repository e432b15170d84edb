// Name globs and the per-server tool lists that src/core uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileGlob, compileGlobs, compileToolList, globMatches, type StepMeter } from '../../src/policy/index.js';

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

// The matcher is linear: mcpgw used to compile globs to backtracking regular expressions, which
// took seconds on hostile names. Steps are counted comparisons (an upper bound of the work done).
const stepsOf = (pattern: string, name: string) => {
  const meter: StepMeter = { steps: 0 };
  const matched = globMatches(compileGlob(pattern), name, meter);
  return { matched, steps: meter.steps };
};
// In UTF-16 units, which bound code points from above.
const bound = (pattern: string, name: string) => (name.length + 1) * (pattern.length + 1);

test('globs: pathological patterns cost at most name × pattern comparisons', () => {
  const cases: [string, string, boolean][] = [
    ['*a*a*b', 'a'.repeat(4000), false],
    ['*a*a*b', `${'a'.repeat(4000)}b`, true],
    ['file:///data/*/public/*.txt', `file:///data/${'x/public/'.repeat(14_000)}y`, false],
    ['*?*?*?*?x', '?'.repeat(10_000), false],
  ];
  for (const [pattern, name, want] of cases) {
    const { matched, steps } = stepsOf(pattern, name);
    assert.equal(matched, want, pattern);
    assert.ok(steps <= bound(pattern, name), `${pattern}: ${steps} steps on ${name.length} characters`);
  }
  // Through compileGlobs too: returns (the regex took about 29 s here).
  assert.equal(compileGlobs(['*a*a*b'])('a'.repeat(4000)), false);
});

// The regular expression mcpgw compiled globs to before: the definition of the semantics kept.
function referenceMatches(pattern: string, name: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^(?:${source})$`, 'su').test(name);
}

// Small alphabet so patterns and names meet often; surrogate halves and an emoji test code points.
const unit = fc.constantFrom('a', 'b', '.', '/', '\n', '🎉', '\uD83C', '\uDF89', 'é');
const nameArb = fc.string({ unit, maxLength: 12 });
const patternArb = fc.string({ unit: fc.oneof(unit, fc.constantFrom('*', '?')), maxLength: 8 });

test('globs: agree with the regular expression they replace', () => {
  fc.assert(
    fc.property(fc.array(patternArb, { maxLength: 3 }), nameArb, (patterns, name) => {
      const want = patterns.some((p) => referenceMatches(p, name));
      assert.equal(compileGlobs(patterns)(name), want);
    }),
    { numRuns: 5000 },
  );
});

test('globs: never throw, and cost stays within name × pattern comparisons', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 400 }), (pattern, name) => {
      assert.doesNotThrow(() => compileGlobs([pattern])(name));
      assert.ok(stepsOf(pattern, name).steps <= bound(pattern, name));
    }),
  );
  fc.assert(
    fc.property(patternArb, fc.string({ unit: fc.constantFrom('a', 'b', '🎉'), maxLength: 300 }), (pattern, name) => {
      assert.ok(stepsOf(pattern, name).steps <= bound(pattern, name));
    }),
    { numRuns: 2000 },
  );
});

test('globs: for a fixed pattern, steps grow linearly with the name', () => {
  for (const pattern of ['*a*a*b', 'file:///data/*/public/*.txt', '*?*?*?*?x', '*aaaaaaaaab*']) {
    const perChar = [1000, 2000, 4000, 8000].map((n) => stepsOf(pattern, 'a'.repeat(n)).steps / n);
    // A backtracking matcher grows by n^k for k stars; this one by a constant per character.
    assert.ok(Math.max(...perChar) <= pattern.length + 1, `${pattern}: ${perChar.join(', ')} steps per character`);
    assert.ok(perChar[3]! <= perChar[0]! * 1.01 + 0.01, `${pattern}: ${perChar.join(', ')} steps per character`);
  }
});
