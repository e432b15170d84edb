// Public shapes of the rule engine: who is calling, what they call, the rules, and the decision.
// Plain objects: config loading maps YAML onto them; the engine never reads config itself.

/** The verified identity of a request. Anonymous callers have no `principalId`. */
export interface Caller {
  principalId?: string;
  kind?: 'jwt' | 'apikey' | 'spiffe';
  scopes: readonly string[];
  roles: readonly string[];
  groups: readonly string[];
  tenant?: string;
  spiffeId?: string;
}

/**
 * What a request asks for. `name` is the tool name (`tools/call`), prompt name (`prompts/get`) or URI
 * (`resources/read`). The selector a rule uses is chosen from `method`, so `nameKind` is informational.
 */
export interface Target {
  method: string;
  name?: string;
  nameKind?: 'tool' | 'prompt' | 'resource' | 'task';
}

/**
 * One rule. "What": exactly one of `tools`, `resources`, `prompts`, `methods` (globs, `*` and `?`).
 * "Who": every condition given must hold; an absent condition holds for anyone.
 */
export interface RuleConfig {
  effect: 'allow' | 'deny';
  tools?: readonly string[];
  resources?: readonly string[];
  prompts?: readonly string[];
  methods?: readonly string[];
  /** Exact scope strings: the caller needs all of `allOf` and at least one of `anyOf`. */
  scopes?: { allOf?: readonly string[]; anyOf?: readonly string[] };
  /** Globs over `principalId`; an anonymous caller never matches. */
  principals?: readonly string[];
  /** `roles` / `groups`: the caller holds at least one role (group) matching one of the globs. */
  roles?: readonly string[];
  groups?: readonly string[];
  /** Globs over `tenant` and `spiffeId`; a caller without one never matches. */
  tenants?: readonly string[];
  spiffeIds?: readonly string[];
}

export interface ServerPolicyConfig {
  defaultEffect: 'allow' | 'deny';
  rules: readonly RuleConfig[];
}

export type PolicyDecision =
  | { allow: true }
  /** Granting `requiredScopes` (added to the caller's own) would make the call allowed. */
  | { allow: false; kind: 'insufficient_scope'; requiredScopes: string[] }
  | { allow: false; kind: 'forbidden' };

/** What a list result holds; `name` is the tool / prompt name, the resource URI or the `uriTemplate`. */
export interface ListItem {
  kind: 'tool' | 'prompt' | 'resource' | 'resourceTemplate';
  name: string;
}

export interface CompiledPolicy {
  decide(caller: Caller, target: Target): PolicyDecision;
  /** True iff calling the item (`tools/call`, `prompts/get`, `resources/read`) would be allowed. */
  visible(caller: Caller, item: ListItem): boolean;
}
