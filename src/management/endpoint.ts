// The management MCP endpoint: Streamable HTTP at /mcp on the ops port, built with the MCP SDK.
// Stateless: each POST is authenticated, then answered by a fresh McpServer + transport pair that knows
// the caller, so nothing is kept between requests and no session can outlive a revoked credential.
// Bodies are bounded before parsing; GET / DELETE (streams and sessions) are not offered.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { GatewayConfig } from '../config/index.js';
import { MAX_HTTP_BODY, readJson, type ControlMethods, type ControlService } from '../control/index.js';
import type { ServerRegistrar } from '../provision/index.js';
import type { AuditLog, Logger } from '../telemetry/index.js';
import { PRM_PATH, adminAuth, oidcAuth, type ManagementAuth } from './auth.js';
import { managementCalls } from './calls.js';
import { registerResources } from './resources.js';
import { tenantDirectory, type TenantDirectory } from './tenants.js';
import { registerTools } from './tools.js';

export const MANAGEMENT_PATH = '/mcp';

export interface ManagementDeps {
  auth: ManagementAuth;
  methods: ControlMethods;
  registrar: ServerRegistrar;
  tenants: TenantDirectory;
  audit?: AuditLog;
  logger: Logger;
  version: string;
}

function jsonRpcError(res: ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

class BodyError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const tooLarge = new BodyError(413, -31413, `body larger than ${MAX_HTTP_BODY} bytes`);
  if (Number(req.headers['content-length'] ?? 0) > MAX_HTTP_BODY) throw tooLarge;
  const body = await readJson(req, MAX_HTTP_BODY);
  if (body.kind === 'too_large') throw tooLarge;
  if (body.kind !== 'json') throw new BodyError(400, -32700, 'Parse error: the body is not JSON');
  return body.value;
}

/** Handles /mcp (and its protected resource metadata in OIDC mode); false for other paths. */
export function managementHandler(deps: ManagementDeps): (req: IncomingMessage, res: ServerResponse, url: URL) => boolean {
  return (req, res, url) => {
    if (url.pathname === PRM_PATH && deps.auth.metadata) {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' });
      res.end(JSON.stringify(deps.auth.metadata));
      return true;
    }
    if (url.pathname !== MANAGEMENT_PATH) return false;
    void handle(req, res).catch((err: unknown) => {
      if (err instanceof BodyError) return jsonRpcError(res, err.status, err.code, err.message, err.status === 413 ? { connection: 'close' } : {});
      deps.logger.error({ err: (err as Error).message }, 'management request failed');
      if (!res.headersSent) jsonRpcError(res, 500, -32603, 'Internal error');
    });
    return true;
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') return jsonRpcError(res, 405, -31405, 'Method not allowed: the management endpoint is stateless, POST only', { allow: 'POST' });
    const host = req.headers.host ?? 'localhost';
    const verdict = await deps.auth.verify(req, `http://${host}${MANAGEMENT_PATH}`);
    if (!verdict.ok) {
      deps.logger.info({ status: verdict.status, reason: verdict.message }, 'management request refused');
      const code = verdict.status === 404 ? -31404 : verdict.status === 403 ? -31403 : verdict.status === 400 ? -31400 : -31401;
      return jsonRpcError(res, verdict.status, code, verdict.message, verdict.challenge ? { 'www-authenticate': verdict.challenge } : {});
    }
    const body = await readBody(req);
    const server = new McpServer({ name: 'mcpgw', version: deps.version }, { instructions: 'Manage mcp-mesh-gateway: MCP servers (register, deploy, remove), pods (drain), sessions (end) and tenant quotas. Destructive tools are annotated; confirm them with the user.' });
    const calls = managementCalls({ logger: deps.logger, principal: verdict.principal, ...(deps.audit ? { audit: deps.audit } : {}), ...(verdict.tenant !== undefined ? { tenant: verdict.tenant } : {}) });
    registerTools(server, { methods: deps.methods, registrar: deps.registrar, tenants: deps.tenants, calls });
    registerResources(server, { methods: deps.methods, calls });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }
}

export interface ManagementSetup {
  config: GatewayConfig;
  control: ControlService;
  methods: ControlMethods;
  registrar: ServerRegistrar;
  /** SHA-256 of the admin token, when one is set. */
  adminToken?: Buffer;
  audit?: AuditLog;
  logger: Logger;
  now: () => number;
  fetch?: typeof fetch;
  version: string;
}

export interface ManagementEndpoint {
  handler: (req: IncomingMessage, res: ServerResponse, url: URL) => boolean;
  stop(): Promise<void>;
}

/** Builds the endpoint from config and starts its authentication (an OIDC issuer's keys load here). */
export async function startManagement(s: ManagementSetup): Promise<ManagementEndpoint> {
  const c = s.config;
  const auth = c.management.auth === 'admin' ? adminAuth(s.adminToken) : oidcAuth(c.management.auth, c.identity, { logger: s.logger, now: s.now, ...(s.fetch ? { fetch: s.fetch } : {}) });
  await auth.start();
  if (c.management.auth === 'admin' && !s.adminToken) s.logger.warn('management endpoint enabled with admin auth but no admin token is set: /mcp answers 404');
  s.logger.info({ path: MANAGEMENT_PATH, auth: c.management.auth === 'admin' ? 'admin' : 'oidc', provisioning: s.registrar.provisioningEnabled }, 'management MCP endpoint on the HTTP port');
  const handler = managementHandler({
    auth,
    methods: s.methods,
    registrar: s.registrar,
    tenants: tenantDirectory(() => c, s.control),
    logger: s.logger,
    version: s.version,
    ...(s.audit ? { audit: s.audit } : {}),
  });
  return { handler, stop: () => auth.stop() };
}
