// What callers may do: the per-server rule engine, name globs and the per-server tool lists.
export { compilePolicy } from './compile.js';
export type { Caller, CompiledPolicy, ListItem, PolicyDecision, RuleConfig, ServerPolicyConfig, Target } from './types.js';
export { compileGlobs, compileGlob, globMatches, type CompiledGlob, type NameMatcher, type StepMeter } from './glob.js';
export { compileToolList, type ToolGate, type ToolListConfig } from './toolList.js';
