// The Control service as JSON over HTTP on the ops port, under /v1/ (the proto3 JSON mapping; each
// RPC's route is in control.proto). Same admin bearer token as gRPC; errors are Google's JSON error
// shape: {"error": {"code", "status", "message", "details": [BadRequest field violations]}}.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../telemetry/index.js';
import type { ControlMethodName, ControlMethods } from './api.js';
import { requireAdmin, type AdminCredentials } from './auth.js';
import { ControlError, HTTP_STATUS, controlErrorOf } from './errors.js';
import { ProtoJson, type JsonObject } from './json.js';
import { loadControlProtos } from './protos.js';

export interface ControlHttpDeps {
  methods: ControlMethods;
  credentials: AdminCredentials;
  logger: Logger;
}

/** Request bodies (a server spec is the largest) stop here. */
export const MAX_HTTP_BODY = 512 * 1024;

interface Route {
  method: string;
  pattern: RegExp;
  rpc: ControlMethodName;
  /** Path captures, in order, become these request fields. */
  params: string[];
  /** The request field the body fills ('*': the whole request). */
  body?: string;
}

const SEGMENT = '([^/]+)';
const ROUTES: Route[] = [
  { method: 'GET', pattern: /^\/v1\/servers$/, rpc: 'ListServers', params: [] },
  { method: 'GET', pattern: new RegExp(`^/v1/servers/${SEGMENT}$`), rpc: 'GetServer', params: ['name'] },
  { method: 'PUT', pattern: new RegExp(`^/v1/servers/${SEGMENT}$`), rpc: 'ApplyServer', params: ['name'], body: 'spec' },
  { method: 'DELETE', pattern: new RegExp(`^/v1/servers/${SEGMENT}$`), rpc: 'DeleteServer', params: ['name'] },
  { method: 'GET', pattern: /^\/v1\/pods$/, rpc: 'ListPods', params: [] },
  { method: 'POST', pattern: /^\/v1\/pods\/([^/]+):drain$/, rpc: 'DrainPod', params: ['pod'] },
  { method: 'POST', pattern: /^\/v1\/pods\/([^/]+):undrain$/, rpc: 'UndrainPod', params: ['pod'] },
  { method: 'GET', pattern: /^\/v1\/sessions$/, rpc: 'ListSessions', params: [] },
  { method: 'DELETE', pattern: new RegExp(`^/v1/sessions/${SEGMENT}$`), rpc: 'EndSession', params: ['id'] },
  { method: 'GET', pattern: new RegExp(`^/v1/tenants/${SEGMENT}/quota$`), rpc: 'GetTenantQuota', params: ['tenant'] },
  { method: 'PUT', pattern: new RegExp(`^/v1/tenants/${SEGMENT}/quota$`), rpc: 'SetTenantQuota', params: ['tenant'], body: '*' },
  { method: 'GET', pattern: /^\/v1\/config\/version$/, rpc: 'GetConfigVersion', params: [] },
];

/** A JSON answer that no cache keeps. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(`${JSON.stringify(body)}\n`);
}

function sendError(res: ServerResponse, e: ControlError): void {
  const status = HTTP_STATUS[e.code];
  const headers: Record<string, string> = {};
  if (e.code === 'UNAUTHENTICATED') headers['www-authenticate'] = 'Bearer realm="mcpgw-admin"';
  if (e.code === 'UNAVAILABLE') headers['retry-after'] = '5';
  const details = e.violations.length ? [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: e.violations }] : undefined;
  sendJson(res, status, { error: { code: status, status: e.code, message: e.message, ...(details ? { details } : {}) } }, headers);
}

/** A request body read as JSON: what it held, or why it could not be used. */
export type JsonBody = { kind: 'json'; value: unknown } | { kind: 'empty' } | { kind: 'too_large' } | { kind: 'not_json' };

/**
 * Reads the body to its end but keeps at most `maxBytes`: over that it answers `too_large` at once and
 * lets the rest of the upload drain unread, rather than cut the client off.
 */
export function readJson(req: IncomingMessage, maxBytes: number): Promise<JsonBody> {
  return new Promise((resolve, reject) => {
    let parts: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= maxBytes) return void parts.push(c);
      parts = [];
      resolve({ kind: 'too_large' });
    });
    req.on('end', () => {
      if (size > maxBytes) return;
      const text = Buffer.concat(parts).toString('utf8');
      if (!text.trim()) return resolve({ kind: 'empty' });
      try {
        resolve({ kind: 'json', value: JSON.parse(text) });
      } catch {
        resolve({ kind: 'not_json' });
      }
    });
    req.on('error', reject);
  });
}

/** The request body as JSON ({} when empty), at most `maxBytes`; refusals are INVALID_ARGUMENT on `body`. */
export async function readJsonBody(req: IncomingMessage, maxBytes = MAX_HTTP_BODY): Promise<unknown> {
  const body = await readJson(req, maxBytes);
  if (body.kind === 'too_large') throw ControlError.invalid('body', `is larger than ${maxBytes} bytes`);
  if (body.kind === 'not_json') throw ControlError.invalid('body', 'is not JSON');
  return body.kind === 'json' ? body.value : {};
}

/** A percent-encoded path segment; bad encoding is INVALID_ARGUMENT on `field`. */
export function decodeSegment(segment: string, field: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw ControlError.invalid(field, 'is not valid percent-encoding');
  }
}

/** Handles /v1/* requests; returns false for other paths. */
export function controlHttpHandler(deps: ControlHttpDeps): (req: IncomingMessage, res: ServerResponse, url: URL) => boolean {
  const { definition, messages } = loadControlProtos();
  const json = new ProtoJson(definition);
  const typeOf = (rpc: ControlMethodName, which: 'request' | 'response') => (messages.get(rpc) as { request: string; response: string })[which];

  async function answer(req: IncomingMessage, url: URL, r: Route, m: RegExpExecArray): Promise<JsonObject> {
    requireAdmin(deps.credentials, req.headers.authorization);
    let request: Record<string, unknown> = {};
    if (r.body) {
      const body = await readJsonBody(req);
      request = r.body === '*' ? (body as Record<string, unknown>) : { [r.body]: body };
      if (r.body === '*' && (typeof body !== 'object' || body === null || Array.isArray(body))) throw ControlError.invalid('body', 'must be a JSON object');
    }
    // Query parameters are request fields (proto or JSON names); an unknown one is refused by name.
    for (const [k, v] of url.searchParams) request[k] = v;
    r.params.forEach((p, i) => (request[p] = decodeSegment(m[i + 1] ?? '', p)));
    const normalized = json.toJson(typeOf(r.rpc, 'request'), json.fromJson(typeOf(r.rpc, 'request'), request));
    const reply = await deps.methods[r.rpc](normalized);
    return json.toJson(typeOf(r.rpc, 'response'), json.fromJson(typeOf(r.rpc, 'response'), reply));
  }

  return (req, res, url) => {
    if (!url.pathname.startsWith('/v1/')) return false;
    const matches = ROUTES.flatMap((r) => {
      const m = r.pattern.exec(url.pathname);
      return m ? [{ r, m }] : [];
    });
    const hit = matches.find((x) => x.r.method === req.method);
    if (!hit) {
      if (!matches.length) sendError(res, new ControlError('NOT_FOUND', `no control API route ${url.pathname}`));
      else sendJson(res, 405, { error: { code: 405, message: `use ${matches.map((x) => x.r.method).join(' or ')}` } }, { allow: matches.map((x) => x.r.method).join(', ') });
      return true;
    }
    answer(req, url, hit.r, hit.m).then(
      (body) => sendJson(res, 200, body),
      (err: unknown) => {
        const known = controlErrorOf(err);
        if (!known) deps.logger.error({ path: url.pathname, err: (err as Error).message }, 'control request failed');
        sendError(res, known ?? new ControlError('INTERNAL', 'internal error'));
      },
    );
    return true;
  };
}
