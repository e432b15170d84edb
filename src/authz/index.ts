// ext_authz Check adapter over the core.
export { authorizationService, checkRequestView, decisionToCheckResponse, CHECK_HOOK, type AuthorizationDeps } from './check.js';
