// Public face of the management endpoint: mcpgw as an MCP server (docs/management.md). Tools and
// resources over the control service, authenticated by the admin token or an OIDC issuer with a scope.
export { adminAuth, oidcAuth, PRM_PATH, type ManagementAuth, type Verdict } from './auth.js';
export { MANAGEMENT_SERVER } from './calls.js';
import type { ManagementEndpoint, ManagementSetup } from './endpoint.js';
export type { ManagementDeps, ManagementEndpoint, ManagementSetup } from './endpoint.js';
export { tenantDirectory, type TenantDirectory } from './tenants.js';

/** The MCP SDK is loaded here, when the endpoint starts: a gateway without management never pays for it. */
export async function startManagement(s: ManagementSetup): Promise<ManagementEndpoint> {
  return (await import('./endpoint.js')).startManagement(s);
}
