// The running configuration from its three sources: the file, MCPServer resources and the API.
// Pure: sources in, one validated GatewayConfig (or every problem) out. A server named in a higher
// source replaces the one of that name in a lower source: file < kubernetes < api.
import { createHash } from 'node:crypto';
import { formatPath, validateConfig, type GatewayConfig, type PathProblem } from '../config/index.js';
import type { ConfigProblem, ConfigSourceKind } from './catalog.js';

/** A server as one source declares it: the servers[] item (unvalidated) and limits scoped to it. */
export interface DeclaredServer {
  name: string;
  item: unknown;
  limits?: readonly unknown[];
}

export interface Sources {
  /** The file's validated configuration: every top-level setting, and its servers. */
  file: GatewayConfig;
  /** The file's path, for origins. */
  fileRef: string;
  /** By `namespace/name`. */
  kubernetes: ReadonlyMap<string, DeclaredServer>;
  /** By server name. */
  api: ReadonlyMap<string, DeclaredServer>;
}

/** The source item a change is about: its problems are reported relative to it. */
export interface ChangedItem {
  source: ConfigSourceKind;
  ref: string;
}

export interface Composed {
  config: GatewayConfig;
  version: string;
  /** Server name → where it comes from. */
  origins: ReadonlyMap<string, ChangedItem>;
}

export type ComposeResult = ({ ok: true } & Composed) | { ok: false; problems: ConfigProblem[] };

/** Settings that only take effect on restart; a file change to them is logged and otherwise ignored. */
export const RESTART_ONLY = ['listen', 'log', 'shutdown', 'store', 'extProc', 'audit', 'tracing', 'sessions', 'admin', 'requests', 'kubernetes', 'management', 'provisioning'] as const;

interface Placed {
  name: string;
  item: unknown;
  limits: readonly unknown[];
  origin: ChangedItem;
}

export function compose(sources: Sources, changed?: ChangedItem): ComposeResult {
  const byName = new Map<string, Placed>();
  for (const s of sources.file.servers) byName.set(s.name, { name: s.name, item: s, limits: [], origin: { source: 'file', ref: sources.fileRef } });
  for (const [ref, d] of [...sources.kubernetes].sort(([a], [b]) => a.localeCompare(b))) place(byName, d, { source: 'kubernetes', ref });
  for (const [ref, d] of sources.api) place(byName, d, { source: 'api', ref });
  // The changed item goes last, so a claim it shares with another server is reported on it.
  const placed = [...byName.values()];
  const at = changed ? placed.findIndex((p) => p.origin.source === changed.source && p.origin.ref === changed.ref) : -1;
  if (at >= 0) placed.push(...placed.splice(at, 1));
  const scopedLimits = placed.flatMap((p) => p.limits.map((l) => ({ limit: l, owner: p })));
  const candidate = {
    ...sources.file,
    servers: placed.map((p) => p.item),
    limits: [...sources.file.limits, ...scopedLimits.map((s) => s.limit)],
  };
  const result = validateConfig(candidate);
  if (!result.ok) {
    const changedAt = at >= 0 ? placed.length - 1 : -1;
    return { ok: false, problems: result.problems.map((p) => reroot(p, placed, changedAt, sources.file.limits.length, scopedLimits, changed)) };
  }
  return { ok: true, config: result.config, version: versionOf(result.config), origins: new Map(placed.map((p) => [p.name, p.origin])) };
}

function place(byName: Map<string, Placed>, d: DeclaredServer, origin: ChangedItem): void {
  byName.delete(d.name);
  byName.set(d.name, { name: d.name, item: d.item, limits: d.limits ?? [], origin });
}

/** Paths inside the changed item lose their prefix; others name the server or limit they are in. */
function reroot(p: PathProblem, placed: Placed[], changedAt: number, fileLimits: number, scoped: Array<{ owner: Placed }>, changed: ChangedItem | undefined): ConfigProblem {
  const [head, index, ...rest] = p.path;
  if (head === 'servers' && typeof index === 'number') {
    const owner = placed[index];
    if (index === changedAt) return { path: formatPath(rest), message: p.message };
    if (owner) return { path: formatPath(['servers', owner.name, ...rest]), message: `${p.message} (server from ${owner.origin.source} ${owner.origin.ref})` };
  }
  if (head === 'limits' && typeof index === 'number' && index >= fileLimits) {
    const owner = scoped[index - fileLimits]?.owner;
    const own = owner && changed && owner.origin.source === changed.source && owner.origin.ref === changed.ref;
    const nth = owner ? scoped.slice(0, index - fileLimits).filter((s) => s.owner === owner).length : 0;
    if (own) return { path: formatPath(['limits', nth, ...rest]), message: p.message };
  }
  return { path: formatPath(p.path), message: p.message };
}

/** Same inputs, same version, on every replica: a short digest of the effective configuration. */
export function versionOf(config: GatewayConfig): string {
  return createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 12);
}

/** The file's new configuration with its restart-only settings kept as running, and which of them differed. */
export function liveParts(running: GatewayConfig, next: GatewayConfig): { config: GatewayConfig; ignored: string[] } {
  const ignored = RESTART_ONLY.filter((k) => JSON.stringify(running[k]) !== JSON.stringify(next[k]));
  const kept = Object.fromEntries(RESTART_ONLY.map((k) => [k, running[k]]));
  return { config: { ...next, ...kept } as GatewayConfig, ignored };
}
