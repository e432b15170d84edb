// The production decision path without gRPC: Gateway + SessionPinning + PodDirectory over static
// endpoints, with whichever session registry a row measures. Built from the modules' public faces.
import { parseConfig, type GatewayConfig } from '../../src/config/index.js';
import { Gateway, SessionPinning, requestView, type Decision } from '../../src/core/index.js';
import { PROCESS_HOOK } from '../../src/extproc/index.js';
import type { Authenticator } from '../../src/identity/index.js';
import type { Limiter } from '../../src/limits/index.js';
import { MemoryDrainMarks, PodDirectory, loadXxh64 } from '../../src/routing/index.js';
import type { SessionBinding, SessionRegistry } from '../../src/sessions/index.js';
import { createLogger } from '../../src/telemetry/index.js';
import { AUTHORITY, INITIALIZE_BODY, MCP_PATH, TOOLS_CALL_BODY, requestHeaders } from '../messages.js';

export const SERVER = 'docs';
export const silentLogger = createLogger('silent');

export function podHosts(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.${1 + (i % 200)}:8080`);
}

/** `extra`: top-level config fields (limits, identity…); `server`: fields of the one server (policy, auth…). */
export function benchConfig(pods: number, extra: Record<string, unknown> = {}, server: Record<string, unknown> = {}): GatewayConfig {
  const r = parseConfig(
    JSON.stringify({
      log: { level: 'silent' },
      servers: [{ name: SERVER, match: { hosts: [AUTHORITY], pathPrefix: MCP_PATH }, tools: { deny: ['delete_*'] }, ...(pods > 0 ? { endpoints: { static: podHosts(pods) } } : {}), ...server }],
      ...extra,
    }),
  );
  if (!r.ok) throw new Error(r.problems.join('\n'));
  return r.config;
}

export interface Rig {
  gateway: Gateway;
  pods: PodDirectory;
  /** A follow-up tools/call in session `id` (ext_proc, body phase). */
  followUp(id: string): Promise<Decision>;
  /** An initialize (ext_proc, body phase): chooses a pod for a new session. */
  initialize(): Promise<Decision>;
  close(): Promise<void>;
}

export interface RigOptions {
  /** The config to decide with (default: benchConfig(podCount)). */
  config?: GatewayConfig;
  limiter?: Limiter;
  authenticator?: Authenticator;
}

export async function buildRig(registry: SessionRegistry, podCount: number, o: RigOptions = {}): Promise<Rig> {
  const config = o.config ?? benchConfig(podCount);
  const pods = new PodDirectory(config, { xxh: await loadXxh64(), drains: new MemoryDrainMarks(3_600_000), logger: silentLogger });
  pods.start();
  const noop = () => undefined;
  const pinning = new SessionPinning({ registry, pods, whenUnavailable: 'fail-closed', events: { created: noop, ended: noop, corrected: noop, misrouted: noop, recovered: noop, storeUnavailable: noop } });
  const gateway = new Gateway(config, { pinning, ...(o.limiter ? { limiter: o.limiter } : {}), ...(o.authenticator ? { authenticator: o.authenticator } : {}) });
  const initHeaders = requestHeaders({ 'content-length': String(INITIALIZE_BODY.length) });
  return {
    gateway,
    pods,
    followUp(id) {
      const headers = requestHeaders({ 'mcp-session-id': id, 'content-length': String(TOOLS_CALL_BODY.length) });
      return gateway.decide(requestView(headers, TOOLS_CALL_BODY), PROCESS_HOOK);
    },
    initialize: () => gateway.decide(requestView(initHeaders, INITIALIZE_BODY), PROCESS_HOOK),
    close: () => pods.stop(),
  };
}

/** Session id number i: a UUID-shaped string, as SDK servers mint them. */
export function sessionId(i: number): string {
  const hex = i.toString(16).padStart(12, '0');
  return `5e55${hex.slice(0, 4)}-0000-4000-8000-${hex}`;
}

export function binding(i: number, pods: readonly string[], now: number): SessionBinding {
  return { id: sessionId(i), server: SERVER, kind: 'streamable', pod: pods[i % pods.length]!, revision: '2025-06-18', createdAt: now, lastSeenAt: now };
}

/**
 * Puts bindings 0..n-1 through the registry, `parallel` writes in flight, stopping early after
 * `budgetMs`. Returns how long it took and how many were written.
 */
export async function fillRegistry(registry: SessionRegistry, n: number, pods: readonly string[], parallel = 1, budgetMs = Infinity): Promise<{ ms: number; written: number }> {
  const started = performance.now();
  const deadline = started + budgetMs;
  const now = Date.now();
  let next = 0;
  let written = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < n && ((next & 1023) !== 0 || performance.now() < deadline)) {
        await registry.put(binding(next++, pods, now));
        written++;
      }
    }),
  );
  return { ms: performance.now() - started, written };
}
