// Which configured MCP server a request is for: by `:authority` host, then the longest path prefix.
import type { GatewayConfig, ServerConfig } from '../config/index.js';
import { compileToolList, type ToolGate } from '../policy/index.js';

export interface CompiledServer {
  config: ServerConfig;
  name: string;
  pathPrefix: string;
  toolAllowed: ToolGate;
  /** tools.allow / tools.deny narrow the tool list (anything but allow ["*"], deny []). */
  filtersTools: boolean;
}

export class ServerTable {
  private readonly exact = new Map<string, CompiledServer[]>();
  private readonly wildcard: Array<{ suffix: string; servers: CompiledServer[] }> = [];
  private readonly named = new Map<string, CompiledServer>();

  constructor(config: GatewayConfig) {
    for (const s of config.servers) {
      const filtersTools = s.tools.deny.length > 0 || s.tools.allow.length !== 1 || s.tools.allow[0] !== '*';
      const compiled: CompiledServer = { config: s, name: s.name, pathPrefix: s.match.pathPrefix, toolAllowed: compileToolList(s.tools), filtersTools };
      this.named.set(s.name, compiled);
      for (const raw of s.match.hosts) {
        const host = raw.toLowerCase();
        if (host.startsWith('*.')) {
          const suffix = host.slice(1);
          let entry = this.wildcard.find((w) => w.suffix === suffix);
          if (!entry) this.wildcard.push((entry = { suffix, servers: [] }));
          entry.servers.push(compiled);
        } else {
          const list = this.exact.get(host) ?? [];
          list.push(compiled);
          this.exact.set(host, list);
        }
      }
    }
    // Longest prefix first, so the first hit is the most specific server.
    const byPrefix = (a: CompiledServer, b: CompiledServer) => b.pathPrefix.length - a.pathPrefix.length;
    for (const list of this.exact.values()) list.sort(byPrefix);
    for (const w of this.wildcard) w.servers.sort(byPrefix);
    this.wildcard.sort((a, b) => b.suffix.length - a.suffix.length);
  }

  byName(name: string): CompiledServer | undefined {
    return this.named.get(name);
  }

  match(authority: string, path: string): CompiledServer | undefined {
    const host = hostOf(authority);
    const candidates = this.exact.get(host) ?? this.wildcard.find((w) => host.endsWith(w.suffix))?.servers;
    if (!candidates) return undefined;
    const pathOnly = path.split('?', 1)[0] ?? '/';
    return candidates.find((s) => pathMatches(pathOnly, s.pathPrefix));
  }
}

/** Host without port, lower-cased; IPv6 literals keep their brackets. */
export function hostOf(authority: string): string {
  const a = authority.toLowerCase();
  if (a.startsWith('[')) return a.slice(0, a.indexOf(']') + 1);
  const colon = a.lastIndexOf(':');
  return colon === -1 ? a : a.slice(0, colon);
}

function pathMatches(path: string, prefix: string): boolean {
  if (prefix === '/' || path === prefix) return true;
  const p = prefix.endsWith('/') ? prefix : `${prefix}/`;
  return path.startsWith(p);
}
