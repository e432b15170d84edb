// Checks that span several servers. They run even when some servers have other problems
// (so one run reports everything), hence the defensive reading of possibly-invalid entries.
import type { z } from 'zod';

type RefinementCtx = z.core.$RefinementCtx<unknown>;

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** Server names are unique, and no (host, pathPrefix) pair is claimed by two servers. */
export function checkServerClaims(servers: unknown, ctx: RefinementCtx): void {
  if (!Array.isArray(servers)) return;
  const nameOwner = new Map<string, number>();
  const claimOwner = new Map<string, string>();
  servers.forEach((entry: unknown, i: number) => {
    const server = asRecord(entry);
    if (!server) return;
    const name = typeof server.name === 'string' ? server.name : `#${i}`;
    if (typeof server.name === 'string') {
      if (nameOwner.has(name)) {
        ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate server name ${JSON.stringify(name)}` });
      } else {
        nameOwner.set(name, i);
      }
    }
    const match = asRecord(server.match);
    if (!match || !Array.isArray(match.hosts)) return;
    const prefix = typeof match.pathPrefix === 'string' ? match.pathPrefix : '/';
    const claimedHere = new Set<string>();
    match.hosts.forEach((host: unknown, h: number) => {
      if (typeof host !== 'string') return;
      const key = `${host.toLowerCase()} ${prefix}`;
      if (claimedHere.has(key)) return; // repeated within one server: harmless
      claimedHere.add(key);
      const owner = claimOwner.get(key);
      if (owner === undefined) {
        claimOwner.set(key, name);
      } else {
        ctx.addIssue({
          code: 'custom',
          path: [i, 'match', 'hosts', h],
          message: `host ${JSON.stringify(host.toLowerCase())} with pathPrefix ${JSON.stringify(prefix)} is already claimed by server ${JSON.stringify(owner)}`,
        });
      }
    });
  });
}

/**
 * Concurrency slots and session-cap reservations are given back when the response ends, which only
 * ext_proc sees: without it they would leak until their lease, so such a config is refused.
 */
export function checkLimitsNeedResponse(config: { extProc: boolean; limits: ReadonlyArray<{ concurrency?: unknown; sessions?: unknown }> }, ctx: RefinementCtx): void {
  if (config.extProc) return;
  config.limits.forEach((l, i) => {
    for (const kind of ['concurrency', 'sessions'] as const) {
      if (l[kind] !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['limits', i, kind], message: `${kind} limits need extProc: true (only ext_proc sees the response end that releases them)` });
      }
    }
  });
}
