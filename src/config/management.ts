// Schemas for the management MCP endpoint (/mcp on the ops port) and for provisioning MCP servers onto
// Kubernetes from it (docs/management.md). Both are off by default.
import { z } from 'zod';
import { url } from './security.js';

type RefinementCtx = z.core.$RefinementCtx<unknown>;

const oidcAuthSchema = z
  .strictObject({
    issuer: z.string().min(1).describe('An identity.issuers[].issuer whose tokens may manage mcpgw; no other issuer, API key or mesh identity is accepted.'),
    requiredScope: z.string().min(1).max(256).regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, { error: 'must be one OAuth scope token (no spaces or quotes)' }).describe('Scope every management token must carry, e.g. "mcpgw:admin".'),
    resource: url('resource').describe('The public URL of the management endpoint (e.g. https://mcpgw-ops.example.com/mcp): the audience tokens must name (RFC 8707).'),
  })
  .readonly();

export const managementSchema = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Serve the management MCP endpoint at /mcp on the HTTP (ops) port.'),
    auth: z
      .union([z.literal('admin'), oidcAuthSchema])
      .default('admin')
      .describe('"admin": the admin bearer token (admin.tokenSha256 or MCPGW_ADMIN_TOKEN); or tokens of one OIDC issuer carrying a required scope.'),
  })
  .readonly();

export const provisioningSchema = z
  .strictObject({
    enabled: z.boolean().default(false).describe('register_server (and the control API\'s apply with a `deploy` block) may create the workload, Service, DestinationRule of an MCP server.'),
    namespaces: z
      .array(z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { error: 'must be a namespace name' }).max(63))
      .readonly()
      .default([])
      .describe('Namespaces servers may be deployed into; any other is refused. Grant the RBAC of istio/components/provisioning in each.'),
    requireDigest: z.boolean().default(true).describe('Refuse images not pinned by digest (name@sha256:...).'),
    workload: z.enum(['StatefulSet', 'Deployment']).default('StatefulSet').describe('Default workload kind: StatefulSet (stable pod names) or Deployment; a deploy block may choose.'),
    kubeconfig: z.string().min(1).optional().describe('kubeconfig file; default: KUBECONFIG, then the in-cluster service account.'),
  })
  .refine((p) => !p.enabled || p.namespaces.length > 0, { path: ['namespaces'], error: 'list at least one namespace when provisioning is enabled' })
  .readonly();

/** An OIDC-authenticated management endpoint names a configured issuer. */
export function checkManagementIssuer(c: { identity: { issuers: ReadonlyArray<{ issuer: string }> }; management: { enabled: boolean; auth: 'admin' | { issuer: string } } }, ctx: RefinementCtx): void {
  const auth = c.management.auth;
  if (!c.management.enabled || auth === 'admin') return;
  if (!c.identity.issuers.some((i) => i.issuer === auth.issuer)) {
    ctx.addIssue({ code: 'custom', path: ['management', 'auth', 'issuer'], message: `${JSON.stringify(auth.issuer)} is not one of identity.issuers` });
  }
}
