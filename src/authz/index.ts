// ext_authz Check adapter over the core.
export { authorizationService, checkRequestView, decisionToCheckResponse, type AuthorizationDeps } from './check.js';
