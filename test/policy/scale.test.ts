// The matcher's cost for exact names must not grow with the number of rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePolicy, type Caller, type RuleConfig } from '../../src/policy/index.js';

const caller: Caller = { principalId: 'alice', scopes: ['tools:read'], roles: ['dev'], groups: [] };

function exactRules(n: number): RuleConfig[] {
  const rules: RuleConfig[] = [];
  for (let i = 0; i < n; i++) rules.push({ effect: i % 7 === 0 ? 'deny' : 'allow', tools: [`tool_${i}`], scopes: { allOf: ['tools:read'] } });
  // A few wildcard rules, as real configs have; exact names they do not match skip them.
  rules.push({ effect: 'deny', tools: ['admin_*'] }, { effect: 'allow', methods: ['completion/*'] });
  return rules;
}

function nsPerDecide(ruleCount: number): number {
  const policy = compilePolicy({ defaultEffect: 'deny', rules: exactRules(ruleCount) });
  const targets = Array.from({ length: 10 }, (_, i) => ({ method: 'tools/call', name: `tool_${i + 1}` }));
  const rounds = 50_000;
  for (let r = 0; r < rounds; r++) policy.decide(caller, targets[r % 10]!); // warm up
  const start = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) policy.decide(caller, targets[r % 10]!);
  return Number(process.hrtime.bigint() - start) / rounds;
}

test('10,000 exact-name rules decide about as fast as 10', () => {
  const small = Math.min(nsPerDecide(10), nsPerDecide(10));
  const large = Math.min(nsPerDecide(10_000), nsPerDecide(10_000));
  // Generous bound: a linear scan would be ~1000x slower; timer noise on a busy CI box is well under 5x.
  assert.ok(large < small * 5, `10 rules: ${small.toFixed(0)} ns, 10,000 rules: ${large.toFixed(0)} ns per decide`);
});

test('10,000 rules compile in well under a second', () => {
  const start = performance.now();
  const policy = compilePolicy({ defaultEffect: 'deny', rules: exactRules(10_000) });
  assert.ok(performance.now() - start < 1000);
  assert.deepEqual(policy.decide(caller, { method: 'tools/call', name: 'tool_9999' }), { allow: true });
  assert.deepEqual(policy.decide(caller, { method: 'tools/call', name: 'tool_7000' }), { allow: false, kind: 'forbidden' });
});
