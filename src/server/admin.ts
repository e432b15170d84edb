// The /admin API on the ops port: drain pods, see sessions per pod, list bindings. Every call needs
// the admin bearer token; only its SHA-256 is kept, and it is compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LimitInputError, type Limiter } from '../limits/index.js';
import type { PodDirectory, DrainMarks } from '../routing/index.js';
import { StoreUnavailableError, type SessionRegistry } from '../sessions/index.js';
import type { Logger } from '../telemetry/index.js';

export interface AdminDeps {
  /** SHA-256 of the admin token; undefined disables /admin (404). */
  tokenSha256?: Buffer;
  pods: PodDirectory;
  drains: DrainMarks;
  registry: SessionRegistry;
  logger: Logger;
  now?: () => number;
  /** Present when limits are configured: tenant quota administration. */
  limiter?: Limiter;
}

export function adminTokenDigest(configured: string | undefined, envToken: string | undefined): Buffer | undefined {
  if (configured) return Buffer.from(configured, 'hex');
  return envToken ? createHash('sha256').update(envToken).digest() : undefined;
}

function authorized(req: IncomingMessage, digest: Buffer): boolean {
  const m = /^Bearer ([^\s]+)$/.exec(req.headers.authorization ?? '');
  if (!m?.[1]) return false;
  return timingSafeEqual(createHash('sha256').update(m[1]).digest(), digest);
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(`${JSON.stringify(body)}\n`);
}

const POD_PATH = /^\/admin\/pods\/([^/]+)\/drain$/;
const TENANT_PATH = /^\/admin\/tenants\/([^/]+)\/quota$/;
const MAX_BODY = 64 * 1024;

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) reject(new LimitInputError('body too large'));
      else parts.push(c);
    });
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(parts).toString('utf8')));
      } catch {
        reject(new LimitInputError('body is not JSON'));
      }
    });
    req.on('error', reject);
  });
}
const MAX_PAGE = 500;

/** Handles /admin/* requests; returns false for other paths. */
export function adminHandler(deps: AdminDeps): (req: IncomingMessage, res: ServerResponse, url: URL) => boolean {
  const now = deps.now ?? Date.now;
  return (req, res, url) => {
    if (!url.pathname.startsWith('/admin/') && url.pathname !== '/admin') return false;
    const digest = deps.tokenSha256;
    if (!digest) {
      send(res, 404, { error: 'the admin API is disabled: set admin.tokenSha256 or MCPGW_ADMIN_TOKEN' });
      return true;
    }
    if (!authorized(req, digest)) {
      send(res, 401, { error: 'admin bearer token required' }, { 'www-authenticate': 'Bearer realm="mcpgw-admin"' });
      return true;
    }
    void route(req, res, url).catch((err: unknown) => {
      if (err instanceof StoreUnavailableError) return send(res, 503, { error: 'store unavailable; retry shortly' }, { 'retry-after': '5' });
      if (err instanceof LimitInputError) return send(res, 400, { error: err.message });
      deps.logger.error({ err: (err as Error).message, path: url.pathname }, 'admin request failed');
      send(res, 500, { error: 'internal error' });
    });
    return true;
  };

  async function route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const drain = POD_PATH.exec(url.pathname);
    if (drain?.[1]) {
      const host = decodeURIComponent(drain[1]);
      if (!/^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\]):\d{1,5}$/.test(host)) return send(res, 400, { error: `not a pod address "ip:port": ${host}` });
      if (req.method === 'POST') {
        await deps.drains.drain(host, now());
        deps.logger.info({ pod: host }, 'pod draining: no new sessions');
        return send(res, 202, { pod: host, draining: true, since: deps.drains.current().get(host) ?? now() });
      }
      if (req.method === 'DELETE') {
        await deps.drains.undrain(host);
        deps.logger.info({ pod: host }, 'pod drain cancelled');
        return send(res, 200, { pod: host, draining: false });
      }
      return send(res, 405, { error: 'use POST to drain, DELETE to cancel' }, { allow: 'POST, DELETE' });
    }
    const tenant = TENANT_PATH.exec(url.pathname);
    if (tenant?.[1]) {
      if (!deps.limiter) return send(res, 404, { error: 'no limits are configured' });
      const id = decodeURIComponent(tenant[1]);
      if (req.method === 'PUT') {
        const changes = await readJson(req);
        if (typeof changes !== 'object' || changes === null || Array.isArray(changes)) throw new LimitInputError('body must be an object of limit name → number or null');
        await deps.limiter.setTenantLimits(id, changes as Record<string, number | null>);
        deps.logger.info({ tenant: id, limits: Object.keys(changes) }, 'tenant limits changed');
        return send(res, 200, await deps.limiter.usage(id));
      }
      if (req.method === 'GET') return send(res, 200, await deps.limiter.usage(id));
      return send(res, 405, { error: 'use GET or PUT' }, { allow: 'GET, PUT' });
    }
    if (req.method !== 'GET') return send(res, 405, { error: 'method not allowed' }, { allow: 'GET' });
    if (url.pathname === '/admin/pods') return send(res, 200, { servers: await podsWithSessions() });
    if (url.pathname === '/admin/sessions') {
      const limit = Math.min(Number(url.searchParams.get('limit') ?? 100) || 100, MAX_PAGE);
      const q: Parameters<SessionRegistry['list']>[0] = { limit };
      for (const k of ['server', 'pod', 'principal', 'cursor'] as const) {
        const v = url.searchParams.get(k);
        if (v) q[k] = v;
      }
      const page = await deps.registry.list(q);
      return send(res, 200, page);
    }
    send(res, 404, { error: 'not found' });
  }

  async function podsWithSessions() {
    return Promise.all(
      deps.pods.all().map(async ({ server, pods }) => {
        const live = await deps.registry.livePerPod(server);
        const known = new Set(pods.map((p) => p.host));
        // Sessions on pods that left the endpoint set still show, so none are invisible.
        const gone = [...live.keys()].filter((h) => !known.has(h)).map((host) => ({ host, inLoadBalancer: false, ready: false, terminating: false }));
        return { server, pods: [...pods, ...gone].map((p) => ({ ...p, liveSessions: live.get(p.host) ?? 0 })) };
      }),
    );
  }
}
