// Per-server tool allow / deny lists from config. Deny wins; a tool is allowed only if `allow` matches.
import { compileGlobs } from './glob.js';

export interface ToolListConfig {
  allow: readonly string[];
  deny: readonly string[];
}

export type ToolGate = (tool: string) => boolean;

export function compileToolList(cfg: ToolListConfig): ToolGate {
  const allowed = compileGlobs(cfg.allow);
  const denied = compileGlobs(cfg.deny);
  return (tool) => !denied(tool) && allowed(tool);
}
