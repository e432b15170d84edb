// Public face of the management endpoint: mcpgw as an MCP server (docs/management.md). Tools and
// resources over the control service, authenticated by the admin token or an OIDC issuer with a scope.
export { adminAuth, oidcAuth, PRM_PATH, type ManagementAuth, type Verdict } from './auth.js';
export { MANAGEMENT_SERVER } from './calls.js';
export { MANAGEMENT_PATH, managementHandler, startManagement, type ManagementDeps, type ManagementEndpoint, type ManagementSetup } from './endpoint.js';
export { tenantDirectory, type TenantDirectory } from './tenants.js';
