// Who is calling and whether they may: authentication (the Authenticator port), policy (src/policy),
// the challenges clients need, and the identity the upstream sees. One ServerAccess per server,
// compiled once from config.
import type { GatewayConfig, ServerConfig } from '../config/index.js';
import { ErrorCode, refusal, type McpMessage, type McpRefusal, type Visibility } from '../mcp/index.js';
import { compilePolicy, type Caller, type CompiledPolicy } from '../policy/index.js';
import type { HeaderToSet } from './header.js';
import type { Authenticator, Principal } from './identityPort.js';
import type { HttpRequestView } from './request.js';

export const PRM_PATH = '/.well-known/oauth-protected-resource';

/** A refusal with the headers the client needs (WWW-Authenticate). */
export interface AccessRefusal {
  refusal: McpRefusal;
  headers: HeaderToSet[];
}

const ANONYMOUS: Caller = { scopes: [], roles: [], groups: [] };

export function callerOf(p: Principal | undefined): Caller {
  if (!p) return ANONYMOUS;
  const c: Caller = { principalId: p.id, kind: p.kind, scopes: p.scopes, roles: p.roles, groups: p.groups };
  if (p.tenant !== undefined) c.tenant = p.tenant;
  if (p.spiffeId !== undefined) c.spiffeId = p.spiffeId;
  return c;
}

export class ServerAccess {
  private readonly policy?: CompiledPolicy;
  /** Absolute URL of this server's protected resource metadata (path-inserted form, RFC 9728 §3.1). */
  readonly metadataUrl?: string;
  readonly metadata?: Record<string, unknown>;

  constructor(
    private readonly server: ServerConfig,
    identity: GatewayConfig['identity'],
    private readonly authenticator: Authenticator | undefined,
  ) {
    if (server.policy) this.policy = compilePolicy(server.policy);
    const auth = server.auth;
    if (auth) {
      const resource = new URL(auth.resource);
      const suffix = resource.pathname === '/' ? '' : resource.pathname.replace(/\/$/, '');
      this.metadataUrl = `${resource.origin}${PRM_PATH}${suffix}`;
      const scopes = auth.scopesSupported ?? [...new Set((server.policy?.rules ?? []).flatMap((r) => [...(r.scopes?.allOf ?? []), ...(r.scopes?.anyOf ?? [])]))];
      this.metadata = {
        resource: auth.resource,
        authorization_servers: auth.authorizationServers ?? identity.issuers.map((i) => i.issuer),
        scopes_supported: scopes,
        bearer_methods_supported: ['header'],
        resource_name: server.name,
        ...(authenticator && identity.issuers.some((i) => i.dpop !== 'off') ? { dpop_signing_alg_values_supported: authenticator.dpopAlgorithms } : {}),
      };
    }
  }

  /**
   * The verified caller. `trusted` is a principal ext_authz already verified for this request (passed
   * by Envoy as dynamic metadata, which no client can write), so tokens are not verified twice.
   */
  async identify(view: HttpRequestView, trusted: Principal | undefined): Promise<{ principal?: Principal } | AccessRefusal> {
    const auth = this.server.auth;
    if (!auth || !this.authenticator) return {};
    if (trusted) return { principal: trusted };
    const input = {
      method: view.method,
      url: publicUrl(view),
      resource: auth.resource,
      allowAnonymous: auth.anonymous,
      ...optional('authorization', view.header('authorization')),
      ...optional('dpop', view.header('dpop')),
      ...optional('apiKey', view.header(this.authenticator.apiKeyHeader)),
      ...(auth.meshIdentity ? optional('spiffeId', view.envoy?.spiffeId) : {}),
    };
    const outcome = await this.authenticator.authenticate(input);
    if (outcome.ok) return outcome.principal ? { principal: outcome.principal } : {};
    const code = outcome.status === 401 ? ErrorCode.unauthorized : ErrorCode.badRequest;
    return {
      refusal: refusal(outcome.status, code, outcome.status === 401 ? `Unauthorized: ${outcome.description}` : `Bad Request: ${outcome.description}`, `auth_${outcome.reason}`),
      headers: [{ name: 'www-authenticate', value: this.authenticator.challenge({ resourceMetadataUrl: this.metadataUrl ?? '', failure: outcome }) }],
    };
  }

  /** Policy for one message; undefined = allowed. */
  authorize(principal: Principal | undefined, m: McpMessage): AccessRefusal | undefined {
    if (!this.policy || m.method === undefined) return undefined;
    const d = this.policy.decide(callerOf(principal), { method: m.method, ...optional('name', m.name), ...optional('nameKind', m.nameKind) });
    if (d.allow) return undefined;
    const id = m.id ?? null;
    const what = m.name !== undefined ? `${m.nameKind ?? 'item'} "${m.name}"` : `method "${m.method}"`;
    // Challenges are the authenticator's: a server without one (no auth configured) has nobody to challenge for.
    if (d.kind === 'insufficient_scope' && this.metadataUrl && this.authenticator) {
      // An anonymous caller has not authenticated yet: 401 with the scopes to ask for (MCP §7.1).
      if (!principal) {
        return {
          refusal: refusal(401, ErrorCode.unauthorized, `Unauthorized: ${what} needs authentication`, 'auth_required', id),
          headers: [{ name: 'www-authenticate', value: this.authenticator.challenge({ resourceMetadataUrl: this.metadataUrl, scope: d.requiredScopes }) }],
        };
      }
      // Only token holders can step up; API keys and mesh identities cannot ask for more scopes.
      if (principal.kind === 'jwt') {
        return {
          refusal: refusal(403, ErrorCode.forbidden, `Forbidden: ${what} needs scope ${d.requiredScopes.join(' ')}`, 'insufficient_scope', id),
          headers: [{ name: 'www-authenticate', value: this.authenticator.challenge({ resourceMetadataUrl: this.metadataUrl, error: 'insufficient_scope', scope: d.requiredScopes, description: `${what} needs more scope` }) }],
        };
      }
    }
    return { refusal: refusal(403, ErrorCode.forbidden, `Forbidden: ${what} is not allowed`, 'policy_denied', id), headers: [] };
  }

  /** What a list result may show this caller; undefined when nothing is hidden by policy. */
  visibility(principal: Principal | undefined, toolAllowed: (tool: string) => boolean): Visibility {
    const policy = this.policy;
    const caller = callerOf(principal);
    return (item) => (item.kind !== 'tool' || toolAllowed(item.name)) && (policy ? policy.visible(caller, item) : true);
  }

  get hasPolicy(): boolean {
    return this.policy !== undefined;
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** scheme://authority/path of the request as the client addressed it (DPoP htu). */
function publicUrl(view: HttpRequestView): string {
  const scheme = view.header(':scheme') ?? view.header('x-forwarded-proto') ?? 'https';
  return `${scheme}://${view.authority}${view.path.split('?', 1)[0] ?? '/'}`;
}
