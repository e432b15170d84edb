// Who may use the management endpoint: the admin bearer token, or a JWT of one configured issuer that
// names this endpoint as its audience and carries the required scope. A separate Authenticator holds
// only that issuer, so no other issuer, API key or mesh identity is ever a manager.
import type { IncomingMessage } from 'node:http';
import type { GatewayConfig } from '../config/index.js';
import { tokenMatches } from '../control/index.js';
import { Authenticator, bearerChallenge, challengeFor, DPOP_ALGORITHMS, type AuthenticatorDeps } from '../identity/index.js';

export const PRM_PATH = '/.well-known/oauth-protected-resource/mcp';

export type Verdict =
  | { ok: true; principal: string; tenant?: string }
  | { ok: false; status: 401 | 403 | 404 | 400; message: string; challenge?: string };

export interface ManagementAuth {
  verify(req: IncomingMessage, publicUrl: string): Promise<Verdict>;
  /** RFC 9728 metadata for OAuth clients (OIDC mode only). */
  readonly metadata?: Record<string, unknown>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function adminAuth(digest: Buffer | undefined): ManagementAuth {
  return {
    async verify(req) {
      if (!digest) return { ok: false, status: 404, message: 'the management endpoint authenticates with the admin token, and none is set (admin.tokenSha256 or MCPGW_ADMIN_TOKEN)' };
      if (tokenMatches(req.headers.authorization, digest)) return { ok: true, principal: 'admin' };
      return { ok: false, status: 401, message: 'admin bearer token required', challenge: 'Bearer realm="mcpgw-management"' };
    },
    start: async () => undefined,
    stop: async () => undefined,
  };
}

type OidcSettings = Exclude<GatewayConfig['management']['auth'], 'admin'>;

export function oidcAuth(settings: OidcSettings, identity: GatewayConfig['identity'], deps: AuthenticatorDeps): ManagementAuth {
  const issuer = identity.issuers.find((i) => i.issuer === settings.issuer);
  if (!issuer) throw new Error(`management.auth.issuer "${settings.issuer}" is not one of identity.issuers`);
  const authenticator = new Authenticator({ ...identity, issuers: [issuer], apiKeys: [] }, deps);
  const resource = new URL(settings.resource);
  const metadataUrl = `${resource.origin}${PRM_PATH}`;
  return {
    metadata: { resource: settings.resource, authorization_servers: [settings.issuer], scopes_supported: [settings.requiredScope], bearer_methods_supported: ['header'], resource_name: 'mcpgw management' },
    async verify(req, publicUrl) {
      const header = (name: string) => {
        const v = req.headers[name];
        return typeof v === 'string' ? v : undefined;
      };
      const authorization = header('authorization');
      const dpop = header('dpop');
      const outcome = await authenticator.authenticate({
        method: req.method ?? 'POST',
        url: publicUrl,
        resource: settings.resource,
        ...(authorization !== undefined ? { authorization } : {}),
        ...(dpop !== undefined ? { dpop } : {}),
      });
      if (!outcome.ok) {
        return { ok: false, status: outcome.status, message: outcome.description, challenge: challengeFor(outcome, { resourceMetadataUrl: metadataUrl, scope: [settings.requiredScope], dpopAlgs: DPOP_ALGORITHMS }) };
      }
      const p = outcome.principal;
      if (!p) return { ok: false, status: 401, message: 'authentication required', challenge: bearerChallenge({ resourceMetadataUrl: metadataUrl, scope: [settings.requiredScope] }) };
      if (!p.scopes.includes(settings.requiredScope)) {
        return {
          ok: false,
          status: 403,
          message: `the token lacks scope ${settings.requiredScope}`,
          challenge: bearerChallenge({ resourceMetadataUrl: metadataUrl, error: 'insufficient_scope', scope: [settings.requiredScope], description: 'managing mcpgw needs more scope' }),
        };
      }
      return { ok: true, principal: p.id, ...(p.tenant !== undefined ? { tenant: p.tenant } : {}) };
    },
    start: () => authenticator.start(),
    stop: () => authenticator.stop(),
  };
}
