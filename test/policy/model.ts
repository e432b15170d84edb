// A naive reference model of the rule semantics (no indexes, no RegExp): the property tests check the
// compiled engine against it.
import type { Caller, PolicyDecision, RuleConfig, ServerPolicyConfig, Target } from '../../src/policy/index.js';

export function globMatch(pattern: string, s: string): boolean {
  if (pattern === '') return s === '';
  const [p, rest] = [pattern[0], pattern.slice(1)];
  if (p === '*') return [...Array(s.length + 1).keys()].some((i) => globMatch(rest, s.slice(i)));
  if (s === '') return false;
  return (p === '?' || p === s[0]) && globMatch(rest, s.slice(1));
}

const anyGlob = (globs: readonly string[], v: string | undefined) => v !== undefined && globs.some((g) => globMatch(g, v));
const OPEN = ['initialize', 'ping', 'server/discover', 'tools/list', 'prompts/list', 'resources/list', 'resources/templates/list'];
export const isOpen = (method: string) => OPEN.includes(method) || method.startsWith('notifications/');

export function selectorMatches(rule: RuleConfig, t: Target): boolean {
  if (rule.methods) return anyGlob(rule.methods, t.method);
  if (rule.tools) return t.method === 'tools/call' && anyGlob(rule.tools, t.name);
  if (rule.prompts) return t.method === 'prompts/get' && anyGlob(rule.prompts, t.name);
  if (rule.resources) return t.method === 'resources/read' && anyGlob(rule.resources, t.name);
  return false;
}

export function identityHolds(rule: RuleConfig, c: Caller): boolean {
  return (
    (!rule.principals || anyGlob(rule.principals, c.principalId)) &&
    (!rule.roles || c.roles.some((r) => anyGlob(rule.roles ?? [], r))) &&
    (!rule.groups || c.groups.some((g) => anyGlob(rule.groups ?? [], g))) &&
    (!rule.tenants || anyGlob(rule.tenants, c.tenant)) &&
    (!rule.spiffeIds || anyGlob(rule.spiffeIds, c.spiffeId))
  );
}

export function missingScopes(rule: RuleConfig, scopes: readonly string[]): string[] {
  const missing: string[] = [];
  for (const s of rule.scopes?.allOf ?? []) if (!scopes.includes(s) && !missing.includes(s)) missing.push(s);
  const anyOf = rule.scopes?.anyOf ?? [];
  if (anyOf.length > 0 && !anyOf.some((s) => scopes.includes(s))) for (const s of anyOf) if (!missing.includes(s)) missing.push(s);
  return missing;
}

/** The rule's selector and every condition hold. */
export function ruleMatches(rule: RuleConfig, c: Caller, t: Target): boolean {
  return selectorMatches(rule, t) && identityHolds(rule, c) && missingScopes(rule, c.scopes).length === 0;
}

export function referenceDecide(cfg: ServerPolicyConfig, c: Caller, t: Target): PolicyDecision {
  const applicable = cfg.rules.filter((r) => selectorMatches(r, t));
  const denies = applicable.filter((r) => r.effect === 'deny');
  const allows = applicable.filter((r) => r.effect === 'allow');
  if (denies.some((r) => ruleMatches(r, c, t))) return { allow: false, kind: 'forbidden' };
  if (allows.length === 0) return isOpen(t.method) || cfg.defaultEffect === 'allow' ? { allow: true } : { allow: false, kind: 'forbidden' };
  if (allows.some((r) => ruleMatches(r, c, t))) return { allow: true };
  let best: string[] | undefined;
  for (const r of allows.filter((r) => identityHolds(r, c))) {
    const missing = missingScopes(r, c.scopes);
    const granted = { ...c, scopes: [...c.scopes, ...missing] };
    if (denies.some((d) => ruleMatches(d, granted, t))) continue;
    if (best === undefined || missing.length < best.length) best = missing;
  }
  return best ? { allow: false, kind: 'insufficient_scope', requiredScopes: best } : { allow: false, kind: 'forbidden' };
}
