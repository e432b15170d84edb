// Compiles a server's rules once into a matcher and decides per request.
//
// Semantics, the contract config authors rely on:
// - A rule applies to a target when its selector matches: `tools` → `tools/call` by tool name,
//   `prompts` → `prompts/get` by prompt name, `resources` → `resources/read` by URI, `methods` → any
//   method (named ones included) by method name.
// - A deny rule whose conditions all hold wins over everything.
// - If allow rules apply, the target is theirs: allowed iff one of them holds for the caller. A rule
//   that names a tool for some callers therefore closes it to the others even under `defaultEffect: allow`.
// - If no allow rule applies: the open methods (openMethods.ts) are allowed, anything else gets
//   `defaultEffect`.
// - `insufficient_scope` only when some applicable allow rule's identity conditions hold and granting
//   its missing scopes would make the call allowed (no deny rule would hold with them); the rule
//   needing the fewest scopes wins, then the earliest.
import { compileCallerCondition, type CallerCondition } from './callerCondition.js';
import { isOpenMethod } from './openMethods.js';
import { indexPatterns, mergeRules, type IndexedRule, type PatternLookup } from './patternIndex.js';
import type { Caller, CompiledPolicy, ListItem, PolicyDecision, RuleConfig, ServerPolicyConfig, Target } from './types.js';

interface CompiledRule extends IndexedRule {
  readonly effect: 'allow' | 'deny';
  readonly who: CallerCondition;
}

const SELECTORS = ['tools', 'resources', 'prompts', 'methods'] as const;
type Selector = (typeof SELECTORS)[number];

/** The methods whose `name` a name selector matches. */
const NAMED_SELECTOR: Readonly<Record<string, Exclude<Selector, 'methods'>>> = {
  'tools/call': 'tools',
  'prompts/get': 'prompts',
  'resources/read': 'resources',
};

const CALL_OF: Readonly<Record<ListItem['kind'], string>> = {
  tool: 'tools/call',
  prompt: 'prompts/get',
  resource: 'resources/read',
  // A template is shown iff its template string, read as a URI, could be read: `file:///docs/{path}`
  // is visible under a `file:///docs/*` allow rule, hidden by a matching deny rule.
  resourceTemplate: 'resources/read',
};

const ALLOW: PolicyDecision = Object.freeze({ allow: true });
const FORBIDDEN: PolicyDecision = Object.freeze({ allow: false, kind: 'forbidden' });
const NO_RULES: readonly CompiledRule[] = Object.freeze([]);

// Keyed by the caller's scope array, so filtering a list of N items builds the Set once, not N times.
const scopeSets = new WeakMap<readonly string[], ReadonlySet<string>>();
function scopeSetOf(caller: Caller): ReadonlySet<string> {
  let set = scopeSets.get(caller.scopes);
  if (!set) scopeSets.set(caller.scopes, (set = new Set(caller.scopes)));
  return set;
}

function selectorOf(rule: RuleConfig, where: string): [Selector, readonly string[]] {
  const given = SELECTORS.filter((s) => rule[s] !== undefined);
  const selector = given[0];
  if (given.length !== 1 || selector === undefined) {
    throw new Error(`${where}: exactly one of ${SELECTORS.join(', ')} is required (got ${given.length ? given.join(', ') : 'none'})`);
  }
  const patterns = rule[selector] ?? [];
  if (patterns.length === 0) throw new Error(`${where}.${selector} is empty`);
  return [selector, patterns];
}

function holds(rule: CompiledRule, caller: Caller, scopes: ReadonlySet<string>): boolean {
  return rule.who.identityHolds(caller) && rule.who.missingScopes(scopes).length === 0;
}

export function compilePolicy(cfg: ServerPolicyConfig): CompiledPolicy {
  const entries: Record<Selector, [string, CompiledRule][]> = { tools: [], resources: [], prompts: [], methods: [] };
  cfg.rules.forEach((rule, order) => {
    const where = `rules[${order}]`;
    if (rule.effect !== 'allow' && rule.effect !== 'deny') throw new Error(`${where}.effect must be allow or deny`);
    const [selector, patterns] = selectorOf(rule, where);
    const compiled: CompiledRule = { order, effect: rule.effect, who: compileCallerCondition(rule, where) };
    for (const p of patterns) entries[selector].push([p, compiled]);
  });
  const lookup: Record<Selector, PatternLookup<CompiledRule>> = {
    tools: indexPatterns(entries.tools),
    resources: indexPatterns(entries.resources),
    prompts: indexPatterns(entries.prompts),
    methods: indexPatterns(entries.methods),
  };
  const defaultDecision = cfg.defaultEffect === 'allow' ? ALLOW : FORBIDDEN;

  function applicable(target: Target): readonly CompiledRule[] {
    const selector = NAMED_SELECTOR[target.method];
    const byName = selector !== undefined && target.name !== undefined ? lookup[selector](target.name) : NO_RULES;
    return mergeRules(lookup.methods(target.method), byName);
  }

  function stepUp(rules: readonly CompiledRule[], caller: Caller, scopes: ReadonlySet<string>): PolicyDecision {
    let best: string[] | undefined;
    for (const rule of rules) {
      if (rule.effect !== 'allow' || !rule.who.identityHolds(caller)) continue;
      const missing = rule.who.missingScopes(scopes);
      if (best !== undefined && missing.length >= best.length) continue;
      const granted = new Set([...scopes, ...missing]);
      if (rules.some((r) => r.effect === 'deny' && holds(r, caller, granted))) continue;
      best = missing;
    }
    return best ? { allow: false, kind: 'insufficient_scope', requiredScopes: best } : FORBIDDEN;
  }

  function decide(caller: Caller, target: Target): PolicyDecision {
    const rules = applicable(target);
    const scopes = scopeSetOf(caller);
    let allowRuleApplies = false;
    for (const rule of rules) {
      if (rule.effect === 'deny') {
        if (holds(rule, caller, scopes)) return FORBIDDEN;
      } else {
        allowRuleApplies = true;
      }
    }
    if (!allowRuleApplies) return isOpenMethod(target.method) ? ALLOW : defaultDecision;
    for (const rule of rules) if (rule.effect === 'allow' && holds(rule, caller, scopes)) return ALLOW;
    return stepUp(rules, caller, scopes);
  }

  return {
    decide,
    visible: (caller, item) => decide(caller, { method: CALL_OF[item.kind], name: item.name }).allow,
  };
}
