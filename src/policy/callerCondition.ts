// The "who" half of a rule: identity conditions (globs) and required scopes, compiled once per rule.
// Scopes are kept apart from the rest because a missing scope is the one failure a client can fix
// (step-up authorization, reference/mcp.md §7.1), so the engine asks for it separately.
import { compileGlobs, type NameMatcher } from './glob.js';
import type { Caller, RuleConfig } from './types.js';

export interface CallerCondition {
  /** Every condition other than scopes holds for the caller. */
  identityHolds(caller: Caller): boolean;
  /** The scopes the caller would have to gain for the scope conditions to hold; empty when they hold. */
  missingScopes(scopes: ReadonlySet<string>): string[];
}

type IdentityCheck = (caller: Caller) => boolean;

function nonEmpty(list: readonly string[] | undefined, where: string): readonly string[] | undefined {
  if (list !== undefined && list.length === 0) throw new Error(`${where} is empty: leave it out to mean "anyone"`);
  return list;
}

function oneOf(globs: readonly string[], value: (caller: Caller) => string | undefined): IdentityCheck {
  const matches = compileGlobs(globs);
  return (caller) => {
    const v = value(caller);
    return v !== undefined && matches(v);
  };
}

function anyHeld(globs: readonly string[], held: (caller: Caller) => readonly string[]): IdentityCheck {
  const matches: NameMatcher = compileGlobs(globs);
  return (caller) => held(caller).some(matches);
}

export function compileCallerCondition(rule: RuleConfig, where: string): CallerCondition {
  const checks: IdentityCheck[] = [];
  const principals = nonEmpty(rule.principals, `${where}.principals`);
  const roles = nonEmpty(rule.roles, `${where}.roles`);
  const groups = nonEmpty(rule.groups, `${where}.groups`);
  const tenants = nonEmpty(rule.tenants, `${where}.tenants`);
  const spiffeIds = nonEmpty(rule.spiffeIds, `${where}.spiffeIds`);
  if (principals) checks.push(oneOf(principals, (c) => c.principalId));
  if (roles) checks.push(anyHeld(roles, (c) => c.roles));
  if (groups) checks.push(anyHeld(groups, (c) => c.groups));
  if (tenants) checks.push(oneOf(tenants, (c) => c.tenant));
  if (spiffeIds) checks.push(oneOf(spiffeIds, (c) => c.spiffeId));

  const allOf = [...new Set(nonEmpty(rule.scopes?.allOf, `${where}.scopes.allOf`) ?? [])];
  const anyOf = [...new Set(nonEmpty(rule.scopes?.anyOf, `${where}.scopes.anyOf`) ?? [])];

  return {
    identityHolds: (caller) => checks.every((check) => check(caller)),
    missingScopes(scopes) {
      if (allOf.length === 0 && anyOf.length === 0) return [];
      const missing = allOf.filter((s) => !scopes.has(s));
      // Any one of `anyOf` would do, but the challenge names the whole list: the client picks none itself.
      if (anyOf.length > 0 && !anyOf.some((s) => scopes.has(s))) {
        for (const s of anyOf) if (!missing.includes(s)) missing.push(s);
      }
      return missing;
    },
  };
}
