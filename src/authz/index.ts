// ext_authz Check adapter over the core.
export { authorizationService, checkRequestView, decisionToCheckResponse, VERIFIED_PRINCIPAL_KEY, type AuthorizationDeps } from './check.js';
