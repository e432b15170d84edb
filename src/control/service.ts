// The control service's work, once, for every view of it: gRPC and HTTP /v1 (api.ts) and the older
// /admin routes (src/server/admin.ts). Inputs are checked here; every refusal is a ControlError.
import { ConfigRejected, type ConfigCatalog, type ServerEntry } from '../liveconfig/index.js';
import { LimitInputError, type Limiter, type TenantUsage } from '../limits/index.js';
import type { DrainMarks, PodDirectory, PodState } from '../routing/index.js';
import { SessionInputError, isValidSessionId, type SessionBinding, type SessionPage, type SessionRegistry } from '../sessions/index.js';
import type { Logger } from '../telemetry/index.js';
import { ControlError } from './errors.js';

export interface ControlDeps {
  /** The running configuration; undefined while live configuration is not running. */
  catalog: () => ConfigCatalog | undefined;
  pods: PodDirectory;
  drains: DrainMarks;
  registry: SessionRegistry;
  /** The running limiter; undefined when no limits are configured. */
  limiter: () => Limiter | undefined;
  logger: Logger;
  now: () => number;
}

export type PodView = PodState & { liveSessions: number };
export interface ServerPodsView {
  server: string;
  endpointsKnown: boolean;
  pods: PodView[];
}
export interface DrainView {
  pod: string;
  draining: boolean;
  since?: number;
}
export interface SessionQuery {
  server?: string;
  pod?: string;
  principal?: string;
  pageSize?: number;
  pageToken?: string;
}

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 500;
/** Longest filter, name or id a caller may send (session ids and tenants are at most 256). */
const MAX_NAME = 256;
/** Largest server spec ApplyServer takes, as JSON. */
export const MAX_SPEC_BYTES = 256 * 1024;
const POD_ADDRESS = /^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\]):\d{1,5}$/;

function bounded(field: string, value: string | undefined, required: boolean): string | undefined {
  if (!value) {
    if (required) throw ControlError.invalid(field, 'is required');
    return undefined;
  }
  if (value.length > MAX_NAME) throw ControlError.invalid(field, `is longer than ${MAX_NAME} characters`);
  return value;
}

export class ControlService {
  constructor(private readonly deps: ControlDeps) {}

  // ---- servers and configuration ----

  private catalog(): ConfigCatalog {
    const c = this.deps.catalog();
    if (!c) throw new ControlError('UNIMPLEMENTED', 'live configuration is not running in this mcpgw');
    return c;
  }

  configVersion(): { version: string; servers: ServerEntry[] } {
    const c = this.catalog();
    return { version: c.version(), servers: c.servers() };
  }

  server(name: string): ServerEntry {
    const entry = this.catalog().server(bounded('name', name, true) as string);
    if (!entry) throw new ControlError('NOT_FOUND', `no server named "${name}"`, [{ field: 'name', description: 'no such server' }]);
    return entry;
  }

  async applyServer(name: string, spec: Record<string, unknown> | undefined): Promise<ServerEntry> {
    bounded('name', name, true);
    if (!spec) throw ControlError.invalid('spec', 'is required');
    if (JSON.stringify(spec).length > MAX_SPEC_BYTES) throw ControlError.invalid('spec', `is larger than ${MAX_SPEC_BYTES} bytes`);
    if (spec.name !== undefined && spec.name !== name) throw ControlError.invalid('spec.name', `is "${String(spec.name)}" but the request names "${name}"`);
    try {
      const entry = await this.catalog().applyServer({ ...spec, name });
      this.deps.logger.info({ server: name, version: entry.origin.version }, 'server applied through the control API');
      return entry;
    } catch (err) {
      if (err instanceof ConfigRejected) {
        const violations = err.problems.map((p) => ({ field: p.path ? `spec.${p.path}` : 'spec', description: p.message }));
        throw new ControlError('INVALID_ARGUMENT', violations.map((v) => `${v.field}: ${v.description}`).join('; '), violations);
      }
      throw err;
    }
  }

  async deleteServer(name: string): Promise<string> {
    bounded('name', name, true);
    const catalog = this.catalog();
    let removed: boolean;
    try {
      removed = await catalog.deleteServer(name);
    } catch (err) {
      if (err instanceof ConfigRejected) throw new ControlError('FAILED_PRECONDITION', `server "${name}" cannot be deleted through the API: ${err.message}`, [{ field: 'name', description: err.message }]);
      throw err;
    }
    if (!removed) throw new ControlError('NOT_FOUND', `no server named "${name}"`, [{ field: 'name', description: 'no such server' }]);
    this.deps.logger.info({ server: name }, 'server deleted through the control API');
    return catalog.version();
  }

  // ---- pods ----

  async pods(server?: string): Promise<ServerPodsView[]> {
    bounded('server', server, false);
    const all = this.deps.pods.all().filter((s) => !server || s.server === server);
    if (server && !all.length) throw new ControlError('NOT_FOUND', `no server named "${server}"`, [{ field: 'server', description: 'no such server' }]);
    return Promise.all(
      all.map(async ({ server: name, pods }) => {
        const live = await this.deps.registry.livePerPod(name);
        const known = new Set(pods.map((p) => p.host));
        // Sessions on pods that left the endpoint set still show, so none are invisible.
        const gone: PodState[] = [...live.keys()].filter((h) => !known.has(h)).map((host) => ({ host, inLoadBalancer: false, ready: false, terminating: false, converging: false }));
        return {
          server: name,
          endpointsKnown: this.deps.pods.pods(name)?.knowsEndpoints ?? false,
          pods: [...pods, ...gone].map((p) => ({ ...p, liveSessions: live.get(p.host) ?? 0 })),
        };
      }),
    );
  }

  private podAddress(pod: string): string {
    bounded('pod', pod, true);
    if (!POD_ADDRESS.test(pod)) throw ControlError.invalid('pod', `not a pod address "ip:port": ${pod}`);
    return pod;
  }

  async drain(pod: string): Promise<DrainView> {
    const host = this.podAddress(pod);
    const now = this.deps.now();
    await this.deps.drains.drain(host, now);
    this.deps.logger.info({ pod: host }, 'pod draining: no new sessions');
    return { pod: host, draining: true, since: this.deps.drains.current().get(host) ?? now };
  }

  async undrain(pod: string): Promise<DrainView> {
    const host = this.podAddress(pod);
    await this.deps.drains.undrain(host);
    this.deps.logger.info({ pod: host }, 'pod drain cancelled');
    return { pod: host, draining: false };
  }

  // ---- sessions ----

  async sessions(q: SessionQuery): Promise<SessionPage> {
    const size = q.pageSize ?? 0;
    if (!Number.isInteger(size) || size < 0) throw ControlError.invalid('page_size', 'must be 0 (the default) or a positive integer');
    const query: Parameters<SessionRegistry['list']>[0] = { limit: Math.min(size || DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE) };
    for (const k of ['server', 'pod', 'principal'] as const) {
      const v = bounded(k, q[k], false);
      if (v) query[k] = v;
    }
    const token = q.pageToken;
    if (token) query.cursor = bounded('page_token', token, false) as string;
    try {
      return await this.deps.registry.list(query);
    } catch (err) {
      if (err instanceof SessionInputError) throw ControlError.invalid('page_token', 'is not a token this listing gave out');
      throw err;
    }
  }

  /** Ends one session (its next request gets 404); `server` may be left out when the id is unique. */
  async endSession(id: string, server?: string): Promise<SessionBinding> {
    if (!id) throw ControlError.invalid('id', 'is required');
    if (!isValidSessionId(id)) throw ControlError.invalid('id', 'must be 1-256 visible ASCII characters');
    bounded('server', server, false);
    let target = server;
    if (!target) {
      const names = this.deps.pods.all().map((s) => s.server);
      const holders = (await Promise.all(names.map(async (n) => ((await this.deps.registry.get(n, id)) ? n : undefined)))).filter((n) => n !== undefined);
      if (holders.length > 1) throw new ControlError('FAILED_PRECONDITION', `servers ${holders.join(', ')} each hold a session "${id}": name the server`, [{ field: 'server', description: 'needed: the id is not unique' }]);
      target = holders[0];
    }
    const ended = target ? await this.deps.registry.delete(target, id, 'deleted') : undefined;
    if (!ended) throw new ControlError('NOT_FOUND', `no session "${id}"${server ? ` on server "${server}"` : ''}`, [{ field: 'id', description: 'no such session' }]);
    this.deps.logger.info({ server: ended.server, pod: ended.pod }, 'session ended through the control API');
    return ended;
  }

  // ---- tenants ----

  private limiter(): Limiter {
    const limiter = this.deps.limiter();
    if (!limiter) throw new ControlError('FAILED_PRECONDITION', 'no limits are configured');
    return limiter;
  }

  async quota(tenant: string): Promise<TenantUsage> {
    const limiter = this.limiter();
    return limiter.usage(bounded('tenant', tenant, true) as string);
  }

  /** `changes`: limit name → the tenant's own number, or null to go back to the configured one. */
  async setQuota(tenant: string, changes: Record<string, number | null>): Promise<TenantUsage> {
    const limiter = this.limiter();
    bounded('tenant', tenant, true);
    try {
      await limiter.setTenantLimits(tenant, changes);
    } catch (err) {
      if (err instanceof LimitInputError) throw ControlError.invalid('limits', err.message);
      throw err;
    }
    this.deps.logger.info({ tenant, limits: Object.keys(changes) }, 'tenant limits changed');
    return limiter.usage(tenant);
  }
}
