// Property tests (fast-check) for the rule engine over small alphabets, so rules, names and callers
// collide often.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compilePolicy, type Caller, type ListItem, type RuleConfig, type ServerPolicyConfig, type Target } from '../../src/policy/index.js';
import { isOpen, referenceDecide, ruleMatches } from './model.js';

const NAMES = ['a', 'b', 'ab', 'ba', 'a.b', 'file:///x/y'];
const PATTERNS = [...NAMES, '*', 'a*', '?b', '*a', 'file:///*', '*/list', 'tools/*', 'tools/call', 'tasks/get'];
const METHODS = ['tools/call', 'prompts/get', 'resources/read', 'tools/list', 'initialize', 'notifications/progress', 'completion/complete', 'tasks/get'];
const SCOPES = ['s1', 's2', 's3'];

const some = <T>(xs: readonly T[]) => fc.uniqueArray(fc.constantFrom(...xs), { minLength: 1, maxLength: 3 });
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

const ruleArb: fc.Arbitrary<RuleConfig> = fc
  .record({
    effect: fc.constantFrom('allow' as const, 'deny' as const),
    selector: fc.constantFrom('tools' as const, 'prompts' as const, 'resources' as const, 'methods' as const),
    patterns: some(PATTERNS),
    allOf: maybe(some(SCOPES)),
    anyOf: maybe(some(SCOPES)),
    principals: maybe(some(['p1', 'p*', 'p2'])),
    roles: maybe(some(['r1', 'r2', 'r*'])),
    groups: maybe(some(['g1'])),
    tenants: maybe(some(['t1', 't2'])),
    spiffeIds: maybe(some(['spiffe://c/ns/a/*', 'spiffe://c/ns/b/sa/x'])),
  })
  .map(({ effect, selector, patterns, allOf, anyOf, ...who }) => {
    const rule: RuleConfig = { effect, [selector]: patterns };
    if (allOf || anyOf) rule.scopes = { ...(allOf && { allOf }), ...(anyOf && { anyOf }) };
    return { ...rule, ...Object.fromEntries(Object.entries(who).filter(([, v]) => v !== undefined)) };
  });

const configArb: fc.Arbitrary<ServerPolicyConfig> = fc.record({
  defaultEffect: fc.constantFrom('allow' as const, 'deny' as const),
  rules: fc.array(ruleArb, { maxLength: 8 }),
});

const callerArb: fc.Arbitrary<Caller> = fc
  .record({
    principalId: maybe(fc.constantFrom('p1', 'p2', 'px')),
    scopes: fc.uniqueArray(fc.constantFrom(...SCOPES), { maxLength: 3 }),
    roles: fc.uniqueArray(fc.constantFrom('r1', 'r2', 'rx'), { maxLength: 2 }),
    groups: fc.uniqueArray(fc.constantFrom('g1', 'g2'), { maxLength: 2 }),
    tenant: maybe(fc.constantFrom('t1', 't2')),
    spiffeId: maybe(fc.constantFrom('spiffe://c/ns/a/sa/y', 'spiffe://c/ns/b/sa/x')),
  })
  .map((c) => Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) as unknown as Caller);

const targetArb: fc.Arbitrary<Target> = fc.record({ method: fc.constantFrom(...METHODS), name: maybe(fc.constantFrom(...NAMES)) }).map((t) => (t.name === undefined ? { method: t.method } : t));

const itemArb: fc.Arbitrary<ListItem> = fc.record({ kind: fc.constantFrom('tool' as const, 'prompt' as const, 'resource' as const, 'resourceTemplate' as const), name: fc.constantFrom(...NAMES) });
const CALL_OF = { tool: 'tools/call', prompt: 'prompts/get', resource: 'resources/read', resourceTemplate: 'resources/read' } as const;

const runs = { numRuns: 2000 };

test('decide agrees with the reference model', () => {
  fc.assert(
    fc.property(configArb, callerArb, targetArb, (cfg, caller, target) => {
      assert.deepEqual(compilePolicy(cfg).decide(caller, target), referenceDecide(cfg, caller, target));
    }),
    runs,
  );
});

const NAME_SELECTOR: Record<string, 'tools' | 'prompts' | 'resources'> = { 'tools/call': 'tools', 'prompts/get': 'prompts', 'resources/read': 'resources' };

/** A deny rule built to match the caller and target, with some of the caller's identity as conditions. */
function denyFor(caller: Caller, target: Target, byName: boolean, glob: boolean, withIdentity: boolean): RuleConfig {
  const selector = NAME_SELECTOR[target.method];
  const rule: RuleConfig =
    byName && selector && target.name !== undefined ? { effect: 'deny', [selector]: [glob ? '*' : target.name] } : { effect: 'deny', methods: [glob ? '*' : target.method] };
  if (withIdentity) {
    if (caller.principalId) rule.principals = [caller.principalId];
    if (caller.scopes.length > 0) rule.scopes = { allOf: [...caller.scopes] };
    if (caller.roles[0]) rule.roles = [caller.roles[0]];
    if (caller.tenant) rule.tenants = [caller.tenant];
  }
  return rule;
}

test('deny always wins: a matching deny rule means forbidden, wherever it sits', () => {
  fc.assert(
    fc.property(configArb, callerArb, targetArb, fc.boolean(), fc.boolean(), fc.boolean(), fc.nat(), (cfg, caller, target, byName, glob, withIdentity, at) => {
      const rules = [...cfg.rules];
      rules.splice(at % (rules.length + 1), 0, denyFor(caller, target, byName, glob, withIdentity));
      assert.deepEqual(compilePolicy({ ...cfg, rules }).decide(caller, target), { allow: false, kind: 'forbidden' });
    }),
    runs,
  );
});

test('with defaultEffect deny nothing is allowed that no allow rule matches (open methods aside)', () => {
  fc.assert(
    fc.property(configArb, callerArb, targetArb, (cfg, caller, target) => {
      const denyByDefault = { ...cfg, defaultEffect: 'deny' as const };
      fc.pre(!isOpen(target.method) && !cfg.rules.some((r) => r.effect === 'allow' && ruleMatches(r, caller, target)));
      assert.equal(compilePolicy(denyByDefault).decide(caller, target).allow, false);
    }),
    runs,
  );
});

test('visible(x) iff calling x is allowed', () => {
  fc.assert(
    fc.property(configArb, callerArb, itemArb, (cfg, caller, item) => {
      const policy = compilePolicy(cfg);
      assert.equal(policy.visible(caller, item), policy.decide(caller, { method: CALL_OF[item.kind], name: item.name }).allow);
    }),
    runs,
  );
});

const ALL_TARGETS: Target[] = METHODS.flatMap((method) => [{ method }, ...NAMES.map((name) => ({ method, name }))]);

test('insufficient_scope is sound: granting the required scopes allows the call', () => {
  let stepUps = 0;
  fc.assert(
    fc.property(configArb, callerArb, (cfg, caller) => {
      const policy = compilePolicy(cfg);
      for (const target of ALL_TARGETS) {
        const d = policy.decide(caller, target);
        if (d.allow || d.kind !== 'insufficient_scope') continue;
        stepUps++;
        assert.ok(d.requiredScopes.length > 0 && d.requiredScopes.every((s) => !caller.scopes.includes(s)));
        assert.deepEqual(policy.decide({ ...caller, scopes: [...caller.scopes, ...d.requiredScopes] }, target), { allow: true });
      }
    }),
    { numRuns: 1000 },
  );
  assert.ok(stepUps > 100, `only ${stepUps} insufficient_scope decisions generated`);
});

test('compile is deterministic: two compilations decide alike', () => {
  fc.assert(
    fc.property(configArb, fc.array(fc.tuple(callerArb, targetArb), { minLength: 1, maxLength: 10 }), (cfg, cases) => {
      const [one, two] = [compilePolicy(cfg), compilePolicy(structuredClone(cfg))];
      for (const [caller, target] of cases) assert.deepEqual(one.decide(caller, target), two.decide(caller, target));
    }),
    { numRuns: 500 },
  );
});

test('rules for other exact names change nothing', () => {
  fc.assert(
    fc.property(configArb, fc.array(ruleArb, { maxLength: 5 }), callerArb, targetArb, (cfg, extra, caller, target) => {
      // Same conditions and effects, but names and methods no target uses and no glob matches.
      const unrelated = extra.map((r) => ({ ...r, tools: undefined, prompts: undefined, resources: undefined, methods: undefined, [r.tools ? 'tools' : r.prompts ? 'prompts' : r.resources ? 'resources' : 'methods']: ['zz-unused'] }));
      const padded = { ...cfg, rules: [...unrelated, ...cfg.rules] };
      assert.deepEqual(compilePolicy(padded).decide(caller, target), compilePolicy(cfg).decide(caller, target));
    }),
    { numRuns: 500 },
  );
});
