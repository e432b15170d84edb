// What callers may do: name globs and the per-server tool lists.
export { compileGlobs, type NameMatcher } from './glob.js';
export { compileToolList, type ToolGate, type ToolListConfig } from './toolList.js';
