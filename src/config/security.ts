// Schemas for who may call (identity: OIDC issuers, API keys) and what they may do (per-server auth,
// policy rules, upstream credentials). They map one to one onto src/identity and src/policy options.
import { z } from 'zod';
import { integer } from './fields.js';

const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
const HEADER_NAME = /^[a-z0-9][a-z0-9-]*$/;

export const url = (what: string) =>
  z.string().refine((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol), { error: (iss) => `${what} must be an http(s) URL, got ${JSON.stringify(iss.input)}` });

const issuerSchema = z
  .strictObject({
    issuer: z.string().min(1).describe('Exact `iss` claim value of the tokens this issuer signs.'),
    jwksUri: url('jwksUri').optional().describe("URL of the issuer's JWKS (fetched, cached, refetched on an unknown kid)."),
    jwksFile: z.string().min(1).optional().describe('Path of a local JWKS file (for example a mounted Secret), instead of jwksUri.'),
    audiences: z.array(z.string().min(1)).readonly().prefault([]).describe("Audiences accepted besides the server's resource URL (RFC 8707), which is always accepted."),
    algorithms: z.array(z.enum(ALGORITHMS)).min(1).readonly().prefault(['RS256', 'ES256']).describe('Asymmetric JWS algorithms accepted; "none" and HS* can never be configured.'),
    clockSkewSeconds: integer(0, 600).default(60).describe('Tolerance for exp / nbf / iat.'),
    scopeClaim: z.string().optional().describe('Claim holding scopes; default "scope" (space-separated), then "scp" (array).'),
    rolesClaim: z.string().optional().describe('Dotted claim path of roles, e.g. "realm_access.roles".'),
    groupsClaim: z.string().optional().describe('Dotted claim path of groups.'),
    tenantClaim: z.string().optional().describe('Dotted claim path of the tenant, e.g. "tenant" or "org.id".'),
    dpop: z.enum(['off', 'optional', 'required']).default('off').describe('DPoP (RFC 9449) proof-of-possession for tokens of this issuer.'),
  })
  .refine((i) => (i.jwksUri === undefined) !== (i.jwksFile === undefined), { error: 'set exactly one of jwksUri and jwksFile' })
  .readonly();

const apiKeySchema = z
  .strictObject({
    name: z.string().min(1).describe('Key name, for logs and key rotation.'),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, { error: 'must be the hex SHA-256 of the key (64 lower-case hex digits); the key itself never goes in config' }).describe('SHA-256 (hex) of the API key.'),
    principal: z.string().min(1).optional().describe('Principal the key maps to (default: its name).'),
    tenant: z.string().min(1).optional().describe('Tenant of the key\'s principal.'),
    scopes: z.array(z.string().min(1)).readonly().optional().describe('Scopes the key grants.'),
  })
  .readonly();

export const identitySchema = z
  .strictObject({
    issuers: z.array(issuerSchema).readonly().prefault([]).describe('OIDC / OAuth issuers whose JWTs are accepted.'),
    apiKeys: z.array(apiKeySchema).readonly().prefault([]).describe('API keys for machine clients, stored as SHA-256 only.'),
    apiKeyHeader: z.string().regex(HEADER_NAME).default('x-api-key').describe('Header carrying an API key.'),
    maxTokenBytes: integer(256, 65536).default(8192).describe('Longer tokens are refused (401) before any parsing.'),
    jwksCooldownSeconds: integer(1, 3600).default(30).describe('An unknown kid refetches the JWKS at most this often.'),
    jwksCacheSeconds: integer(10, 86400).default(600).describe('A JWKS is refreshed this long after its last load.'),
  })
  .readonly();

const globs = z.array(z.string().min(1)).min(1).readonly();

const ruleSchema = z
  .strictObject({
    effect: z.enum(['allow', 'deny']).describe('What the rule does when it applies.'),
    tools: globs.optional().describe('Tool name globs (tools/call).'),
    resources: globs.optional().describe('Resource URI globs (resources/read).'),
    prompts: globs.optional().describe('Prompt name globs (prompts/get).'),
    methods: globs.optional().describe('JSON-RPC method globs, e.g. "tools/list", "resources/*".'),
    scopes: z
      .strictObject({
        allOf: z.array(z.string()).min(1).readonly().optional().describe('Scopes the caller must all hold.'),
        anyOf: z.array(z.string()).min(1).readonly().optional().describe('Scopes of which the caller must hold one.'),
      })
      .readonly()
      .optional()
      .describe('Scopes the caller must hold: all of allOf, at least one of anyOf.'),
    principals: globs.optional().describe('Principal id globs ("jwt:<iss>#<sub>", "apikey:<name>", "spiffe:<id>").'),
    roles: globs.optional().describe('Role globs; the caller holds at least one matching role.'),
    groups: globs.optional().describe('Group globs; the caller is in at least one matching group.'),
    tenants: globs.optional().describe("Globs over the caller's tenant."),
    spiffeIds: globs.optional().describe('Mesh identities (SPIFFE ids) of the calling workload.'),
  })
  .refine((r) => [r.tools, r.resources, r.prompts, r.methods].filter((x) => x !== undefined).length === 1, {
    error: 'set exactly one of tools, resources, prompts, methods',
  })
  .readonly();

export const authSchema = z
  .strictObject({
    resource: url('resource').describe("This server's public MCP URL (e.g. https://mcp.example.com/files): the token audience (RFC 8707) and the `resource` of its protected resource metadata."),
    anonymous: z.boolean().default(false).describe('Let requests without credentials in (policy then decides); invalid credentials are still refused.'),
    meshIdentity: z.boolean().default(true).describe("Accept the caller's Istio mTLS identity (SPIFFE id from Envoy) as a principal when it sends no token."),
    authorizationServers: z.array(url('authorizationServers entry')).readonly().optional().describe('Advertised in the metadata; default: every configured issuer.'),
    scopesSupported: z.array(z.string()).readonly().optional().describe('Advertised in the metadata; default: every scope named in the policy rules.'),
  })
  .readonly();

export const policySchema = z
  .strictObject({
    defaultEffect: z.enum(['allow', 'deny']).default('deny').describe('What happens when no rule applies.'),
    rules: z.array(ruleSchema).readonly().prefault([]).describe('Rules; an explicit deny always wins.'),
  })
  .readonly();

const injectedHeaderSchema = z
  .strictObject({
    name: z.string().regex(HEADER_NAME, { error: 'must be a lower-case header name' }).describe('Header set on the upstream request.'),
    fromEnv: z.string().min(1).optional().describe('Environment variable holding the value.'),
    fromFile: z.string().min(1).optional().describe('File holding the value (e.g. a mounted Secret); re-read when it changes.'),
    prefix: z.string().default('').describe('Prepended to the value, e.g. "Bearer ".'),
  })
  .refine((h) => (h.fromEnv === undefined) !== (h.fromFile === undefined), { error: 'set exactly one of fromEnv and fromFile' })
  .readonly();

export const upstreamSchema = z
  .strictObject({
    passAuthorization: z.boolean().default(false).describe("Forward the client's Authorization / API key to this server. Off: tokens are never passed through (MCP security best practice)."),
    headers: z.array(injectedHeaderSchema).readonly().prefault([]).describe('Credentials injected as upstream headers.'),
  })
  .readonly();
