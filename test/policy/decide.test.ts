// Table tests for the rule engine: every selector, every condition kind, the open methods and the
// insufficient_scope computation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePolicy, type Caller, type PolicyDecision, type RuleConfig, type ServerPolicyConfig, type Target } from '../../src/policy/index.js';

function caller(over: Partial<Caller> = {}): Caller {
  return { principalId: 'alice', kind: 'jwt', scopes: [], roles: [], groups: [], ...over };
}
const anonymous: Caller = { scopes: [], roles: [], groups: [] };
const call = (name: string): Target => ({ method: 'tools/call', name, nameKind: 'tool' });

const ALLOW: PolicyDecision = { allow: true };
const FORBIDDEN: PolicyDecision = { allow: false, kind: 'forbidden' };
const needs = (...requiredScopes: string[]): PolicyDecision => ({ allow: false, kind: 'insufficient_scope', requiredScopes });

interface Row {
  name: string;
  policy: ServerPolicyConfig;
  caller: Caller;
  target: Target;
  want: PolicyDecision;
}
const deny = (rules: RuleConfig[]): ServerPolicyConfig => ({ defaultEffect: 'deny', rules });
const allow = (rules: RuleConfig[]): ServerPolicyConfig => ({ defaultEffect: 'allow', rules });

const rows: Row[] = [
  // selectors
  { name: 'tools: exact name allows tools/call', policy: deny([{ effect: 'allow', tools: ['echo'] }]), caller: caller(), target: call('echo'), want: ALLOW },
  { name: 'tools: other names fall to the default', policy: deny([{ effect: 'allow', tools: ['echo'] }]), caller: caller(), target: call('echo2'), want: FORBIDDEN },
  { name: 'tools: * glob', policy: deny([{ effect: 'allow', tools: ['read_*'] }]), caller: caller(), target: call('read_file'), want: ALLOW },
  { name: 'tools: ? glob is one character', policy: deny([{ effect: 'allow', tools: ['v?'] }]), caller: caller(), target: call('v10'), want: FORBIDDEN },
  { name: 'tools: regex characters are literal', policy: deny([{ effect: 'allow', tools: ['a.b'] }]), caller: caller(), target: call('axb'), want: FORBIDDEN },
  { name: 'tools selector does not match prompts/get', policy: deny([{ effect: 'allow', tools: ['echo'] }]), caller: caller(), target: { method: 'prompts/get', name: 'echo' }, want: FORBIDDEN },
  { name: 'prompts: by prompt name', policy: deny([{ effect: 'allow', prompts: ['greet*'] }]), caller: caller(), target: { method: 'prompts/get', name: 'greeting' }, want: ALLOW },
  { name: 'resources: by URI, * crosses slashes', policy: deny([{ effect: 'allow', resources: ['file:///docs/*'] }]), caller: caller(), target: { method: 'resources/read', name: 'file:///docs/a/b.md' }, want: ALLOW },
  { name: 'resources: other URIs denied', policy: deny([{ effect: 'allow', resources: ['file:///docs/*'] }]), caller: caller(), target: { method: 'resources/read', name: 'file:///etc/passwd' }, want: FORBIDDEN },
  { name: 'methods: glob over method names', policy: deny([{ effect: 'allow', methods: ['completion/*'] }]), caller: caller(), target: { method: 'completion/complete' }, want: ALLOW },
  { name: 'methods: a rule on tools/call covers every tool', policy: allow([{ effect: 'deny', methods: ['tools/call'] }]), caller: caller(), target: call('echo'), want: FORBIDDEN },
  { name: 'methods: a name rule still allows where the method rule does not hold', policy: deny([{ effect: 'allow', methods: ['tools/*'], roles: ['admin'] }, { effect: 'allow', tools: ['echo'] }]), caller: caller(), target: call('echo'), want: ALLOW },
  // deny wins, defaults
  { name: 'deny wins over an allow for the same tool', policy: allow([{ effect: 'allow', tools: ['rm'] }, { effect: 'deny', tools: ['rm'] }]), caller: caller(), target: call('rm'), want: FORBIDDEN },
  { name: 'deny by glob wins over exact allow', policy: allow([{ effect: 'allow', tools: ['rm_all'] }, { effect: 'deny', tools: ['rm_*'] }]), caller: caller(), target: call('rm_all'), want: FORBIDDEN },
  { name: 'deny for another principal does not apply', policy: allow([{ effect: 'deny', tools: ['rm'], principals: ['bob'] }]), caller: caller(), target: call('rm'), want: ALLOW },
  { name: 'defaultEffect allow: unnamed tool allowed', policy: allow([]), caller: caller(), target: call('anything'), want: ALLOW },
  { name: 'defaultEffect deny: unnamed tool forbidden', policy: deny([]), caller: caller(), target: call('anything'), want: FORBIDDEN },
  { name: 'an allow rule closes its tool to others even under defaultEffect allow', policy: allow([{ effect: 'allow', tools: ['admin_*'], roles: ['admin'] }]), caller: caller(), target: call('admin_reset'), want: FORBIDDEN },
  // open methods
  ...['initialize', 'ping', 'server/discover', 'tools/list', 'prompts/list', 'resources/list', 'resources/templates/list', 'notifications/initialized', 'notifications/cancelled'].map(
    (method): Row => ({ name: `open method ${method} allowed under defaultEffect deny`, policy: deny([{ effect: 'allow', tools: ['echo'] }]), caller: anonymous, target: { method }, want: ALLOW }),
  ),
  { name: 'non-open method follows defaultEffect deny', policy: deny([]), caller: caller(), target: { method: 'completion/complete' }, want: FORBIDDEN },
  { name: 'tasks/get follows defaultEffect deny', policy: deny([]), caller: caller(), target: { method: 'tasks/get', name: 't1', nameKind: 'task' }, want: FORBIDDEN },
  { name: 'tasks/get allowed by a method rule', policy: deny([{ effect: 'allow', methods: ['tasks/*'] }]), caller: caller(), target: { method: 'tasks/get', name: 't1', nameKind: 'task' }, want: ALLOW },
  { name: 'a deny method rule closes an open method', policy: allow([{ effect: 'deny', methods: ['tools/list'], tenants: ['guest'] }]), caller: caller({ tenant: 'guest' }), target: { method: 'tools/list' }, want: FORBIDDEN },
  { name: 'an allow method rule with conditions governs an open method', policy: deny([{ effect: 'allow', methods: ['*/list'], scopes: { allOf: ['mcp:list'] } }]), caller: caller(), target: { method: 'tools/list' }, want: needs('mcp:list') },
  { name: 'a deny method rule that does not hold leaves an open method open', policy: deny([{ effect: 'deny', methods: ['tools/list'], principals: ['bob'] }]), caller: caller(), target: { method: 'tools/list' }, want: ALLOW },
  // who: every condition kind
  { name: 'principals: glob match', policy: deny([{ effect: 'allow', tools: ['echo'], principals: ['ali*'] }]), caller: caller(), target: call('echo'), want: ALLOW },
  { name: 'principals: no match', policy: deny([{ effect: 'allow', tools: ['echo'], principals: ['bob'] }]), caller: caller(), target: call('echo'), want: FORBIDDEN },
  { name: 'principals: anonymous never matches, even *', policy: deny([{ effect: 'allow', tools: ['echo'], principals: ['*'] }]), caller: anonymous, target: call('echo'), want: FORBIDDEN },
  { name: 'roles: one held role matching is enough', policy: deny([{ effect: 'allow', tools: ['echo'], roles: ['ops-*'] }]), caller: caller({ roles: ['dev', 'ops-eu'] }), target: call('echo'), want: ALLOW },
  { name: 'roles: none matching', policy: deny([{ effect: 'allow', tools: ['echo'], roles: ['ops-*'] }]), caller: caller({ roles: ['dev'] }), target: call('echo'), want: FORBIDDEN },
  { name: 'groups: one held group matching', policy: deny([{ effect: 'allow', tools: ['echo'], groups: ['eng'] }]), caller: caller({ groups: ['eng'] }), target: call('echo'), want: ALLOW },
  { name: 'groups: roles do not count as groups', policy: deny([{ effect: 'allow', tools: ['echo'], groups: ['eng'] }]), caller: caller({ roles: ['eng'] }), target: call('echo'), want: FORBIDDEN },
  { name: 'tenants: match', policy: deny([{ effect: 'allow', tools: ['echo'], tenants: ['acme'] }]), caller: caller({ tenant: 'acme' }), target: call('echo'), want: ALLOW },
  { name: 'tenants: caller without tenant', policy: deny([{ effect: 'allow', tools: ['echo'], tenants: ['*'] }]), caller: caller(), target: call('echo'), want: FORBIDDEN },
  { name: 'spiffeIds: glob over the SPIFFE id', policy: deny([{ effect: 'allow', tools: ['echo'], spiffeIds: ['spiffe://cluster.local/ns/agents/*'] }]), caller: caller({ kind: 'spiffe', spiffeId: 'spiffe://cluster.local/ns/agents/sa/bot' }), target: call('echo'), want: ALLOW },
  { name: 'spiffeIds: other namespace', policy: deny([{ effect: 'allow', tools: ['echo'], spiffeIds: ['spiffe://cluster.local/ns/agents/*'] }]), caller: caller({ kind: 'spiffe', spiffeId: 'spiffe://cluster.local/ns/web/sa/x' }), target: call('echo'), want: FORBIDDEN },
  { name: 'all conditions must hold', policy: deny([{ effect: 'allow', tools: ['echo'], tenants: ['acme'], roles: ['admin'] }]), caller: caller({ tenant: 'acme', roles: ['dev'] }), target: call('echo'), want: FORBIDDEN },
  { name: 'scopes allOf held', policy: deny([{ effect: 'allow', tools: ['echo'], scopes: { allOf: ['a', 'b'] } }]), caller: caller({ scopes: ['b', 'a', 'c'] }), target: call('echo'), want: ALLOW },
  { name: 'scopes anyOf: one is enough', policy: deny([{ effect: 'allow', tools: ['echo'], scopes: { anyOf: ['a', 'b'] } }]), caller: caller({ scopes: ['b'] }), target: call('echo'), want: ALLOW },
  { name: 'deny with a scope condition applies only to holders', policy: allow([{ effect: 'deny', tools: ['echo'], scopes: { allOf: ['guest'] } }]), caller: caller({ scopes: ['guest'] }), target: call('echo'), want: FORBIDDEN },
  // insufficient_scope
  { name: 'step-up: the missing allOf scopes, in config order', policy: deny([{ effect: 'allow', tools: ['echo'], scopes: { allOf: ['x', 'y', 'z'] } }]), caller: caller({ scopes: ['y'] }), target: call('echo'), want: needs('x', 'z') },
  { name: 'step-up: the anyOf list', policy: deny([{ effect: 'allow', tools: ['echo'], scopes: { anyOf: ['p', 'q'] } }]), caller: caller(), target: call('echo'), want: needs('p', 'q') },
  { name: 'step-up: allOf and anyOf together, no duplicates', policy: deny([{ effect: 'allow', tools: ['echo'], scopes: { allOf: ['a', 'p'], anyOf: ['p', 'q'] } }]), caller: caller(), target: call('echo'), want: needs('a', 'p', 'q') },
  { name: 'step-up: the rule needing the fewest scopes', policy: deny([{ effect: 'allow', tools: ['echo'], scopes: { allOf: ['a', 'b'] } }, { effect: 'allow', tools: ['e*'], scopes: { allOf: ['c'] } }]), caller: caller(), target: call('echo'), want: needs('c') },
  { name: 'step-up: ties go to the earliest rule', policy: deny([{ effect: 'allow', tools: ['e*'], scopes: { allOf: ['first'] } }, { effect: 'allow', tools: ['echo'], scopes: { allOf: ['second'] } }]), caller: caller(), target: call('echo'), want: needs('first') },
  { name: 'step-up: only rules whose identity conditions hold', policy: deny([{ effect: 'allow', tools: ['echo'], roles: ['admin'], scopes: { allOf: ['a'] } }]), caller: caller(), target: call('echo'), want: FORBIDDEN },
  { name: 'step-up: skips a rule whose scopes would trigger a deny', policy: deny([{ effect: 'allow', tools: ['echo'], scopes: { allOf: ['beta'] } }, { effect: 'deny', tools: ['echo'], scopes: { anyOf: ['beta'] } }, { effect: 'allow', tools: ['echo'], scopes: { allOf: ['ga', 'more'] } }]), caller: caller(), target: call('echo'), want: needs('ga', 'more') },
  { name: 'step-up: never when a deny rule holds', policy: deny([{ effect: 'allow', tools: ['echo'], scopes: { allOf: ['a'] } }, { effect: 'deny', tools: ['echo'], principals: ['alice'] }]), caller: caller(), target: call('echo'), want: FORBIDDEN },
  { name: 'step-up: anonymous callers get the scope too (the caller maps it to 401)', policy: deny([{ effect: 'allow', tools: ['echo'], scopes: { allOf: ['a'] } }]), caller: anonymous, target: call('echo'), want: needs('a') },
];

for (const row of rows) {
  test(row.name, () => {
    assert.deepEqual(compilePolicy(row.policy).decide(row.caller, row.target), row.want);
  });
}

test('visible follows the call of each kind of list item', () => {
  const policy = compilePolicy(
    deny([
      { effect: 'allow', tools: ['echo'] },
      { effect: 'allow', prompts: ['greet'] },
      { effect: 'allow', resources: ['file:///docs/*'] },
      { effect: 'deny', resources: ['file:///docs/secret*'] },
    ]),
  );
  const c = caller();
  assert.equal(policy.visible(c, { kind: 'tool', name: 'echo' }), true);
  assert.equal(policy.visible(c, { kind: 'tool', name: 'greet' }), false);
  assert.equal(policy.visible(c, { kind: 'prompt', name: 'greet' }), true);
  assert.equal(policy.visible(c, { kind: 'resource', name: 'file:///docs/a.md' }), true);
  assert.equal(policy.visible(c, { kind: 'resource', name: 'file:///docs/secret.md' }), false);
  assert.equal(policy.visible(c, { kind: 'resourceTemplate', name: 'file:///docs/{path}' }), true);
  assert.equal(policy.visible(c, { kind: 'resourceTemplate', name: 'file:///docs/secret/{path}' }), false);
  assert.equal(policy.visible(c, { kind: 'resourceTemplate', name: 'db://{table}' }), false);
});

test('a tool needing a scope the caller lacks is not visible', () => {
  const policy = compilePolicy(deny([{ effect: 'allow', tools: ['echo'], scopes: { allOf: ['a'] } }]));
  assert.equal(policy.visible(caller(), { kind: 'tool', name: 'echo' }), false);
  assert.equal(policy.visible(caller({ scopes: ['a'] }), { kind: 'tool', name: 'echo' }), true);
});

test('a named method without a name is governed by method rules and the default only', () => {
  const policy = compilePolicy(allow([{ effect: 'deny', tools: ['*'] }]));
  assert.deepEqual(policy.decide(caller(), { method: 'tools/call' }), ALLOW);
});

const badConfigs: [string, RuleConfig, RegExp][] = [
  ['no selector', { effect: 'allow' }, /rules\[0\]: exactly one of tools, resources, prompts, methods is required \(got none\)/],
  ['two selectors', { effect: 'allow', tools: ['a'], methods: ['b'] }, /got tools, methods/],
  ['empty selector', { effect: 'allow', tools: [] }, /rules\[0\]\.tools is empty/],
  ['empty principals', { effect: 'allow', tools: ['a'], principals: [] }, /rules\[0\]\.principals is empty/],
  ['empty anyOf', { effect: 'allow', tools: ['a'], scopes: { anyOf: [] } }, /rules\[0\]\.scopes\.anyOf is empty/],
  ['bad effect', { effect: 'maybe' as 'allow', tools: ['a'] }, /rules\[0\]\.effect must be allow or deny/],
];
for (const [name, rule, message] of badConfigs) {
  test(`compile rejects ${name}`, () => {
    assert.throws(() => compilePolicy(deny([rule])), message);
  });
}
