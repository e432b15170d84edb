// The /admin API on the ops port, kept for existing scripts: a view of the control service
// (src/control) in its original shapes (ms timestamps, `items` / `nextCursor`). The control API's
// own HTTP view is /v1/ (docs/control-plane.md). Every call needs the admin bearer token.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ControlError, HTTP_STATUS, controlErrorOf, decodeSegment, readJsonBody, sendJson as send, tokenMatches, type ControlService } from '../control/index.js';
import type { Logger } from '../telemetry/index.js';

export interface AdminDeps {
  /** SHA-256 of the admin token; undefined disables /admin (404). */
  tokenSha256?: Buffer;
  control: ControlService;
  logger: Logger;
}

const POD_PATH = /^\/admin\/pods\/([^/]+)\/drain$/;
const TENANT_PATH = /^\/admin\/tenants\/([^/]+)\/quota$/;
const MAX_BODY = 64 * 1024;

/** Handles /admin/* requests; returns false for other paths. */
export function adminHandler(deps: AdminDeps): (req: IncomingMessage, res: ServerResponse, url: URL) => boolean {
  const control = deps.control;
  return (req, res, url) => {
    if (!url.pathname.startsWith('/admin/') && url.pathname !== '/admin') return false;
    const digest = deps.tokenSha256;
    if (!digest) {
      send(res, 404, { error: 'the admin API is disabled: set admin.tokenSha256 or MCPGW_ADMIN_TOKEN' });
      return true;
    }
    if (!tokenMatches(req.headers.authorization, digest)) {
      send(res, 401, { error: 'admin bearer token required' }, { 'www-authenticate': 'Bearer realm="mcpgw-admin"' });
      return true;
    }
    void route(req, res, url).catch((err: unknown) => {
      const known = controlErrorOf(err);
      if (!known) {
        deps.logger.error({ err: (err as Error).message, path: url.pathname }, 'admin request failed');
        return send(res, 500, { error: 'internal error' });
      }
      send(res, HTTP_STATUS[known.code], { error: known.message }, known.code === 'UNAVAILABLE' ? { 'retry-after': '5' } : {});
    });
    return true;
  };

  async function route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const drain = POD_PATH.exec(url.pathname);
    if (drain?.[1]) {
      const host = decodeSegment(drain[1], 'pod');
      if (req.method === 'POST') return send(res, 202, await control.drain(host));
      if (req.method === 'DELETE') {
        const { pod, draining } = await control.undrain(host);
        return send(res, 200, { pod, draining });
      }
      return send(res, 405, { error: 'use POST to drain, DELETE to cancel' }, { allow: 'POST, DELETE' });
    }
    const tenant = TENANT_PATH.exec(url.pathname);
    if (tenant?.[1]) {
      const id = decodeSegment(tenant[1], 'tenant');
      if (req.method === 'PUT') {
        const changes = await readJsonBody(req, MAX_BODY);
        if (typeof changes !== 'object' || changes === null || Array.isArray(changes)) throw ControlError.invalid('body', 'body must be an object of limit name → number or null');
        return send(res, 200, await control.setQuota(id, changes as Record<string, number | null>));
      }
      if (req.method === 'GET') return send(res, 200, await control.quota(id));
      return send(res, 405, { error: 'use GET or PUT' }, { allow: 'GET, PUT' });
    }
    if (req.method !== 'GET') return send(res, 405, { error: 'method not allowed' }, { allow: 'GET' });
    if (url.pathname === '/admin/pods') {
      const servers = await control.pods();
      return send(res, 200, { servers: servers.map(({ server, pods }) => ({ server, pods })) });
    }
    if (url.pathname === '/admin/sessions') {
      const q: Parameters<ControlService['sessions']>[0] = { pageSize: Number(url.searchParams.get('limit') ?? 0) || 0 };
      for (const k of ['server', 'pod', 'principal'] as const) {
        const v = url.searchParams.get(k);
        if (v) q[k] = v;
      }
      const cursor = url.searchParams.get('cursor');
      if (cursor) q.pageToken = cursor;
      return send(res, 200, await control.sessions(q));
    }
    send(res, 404, { error: 'not found' });
  }
}
