// The pure core: one decision function for both Envoy adapters.
export { Gateway, type GatewayDeps, type Hook as GatewayHook, type UpstreamCredentials } from './gateway.js';
export { ServerAccess, PRM_PATH, callerOf } from './access.js';
export { SessionPinning, type PinPlan, type PinningDeps, type PinningEvents, type ResponseStep, type ResponseView, type PinnedServer } from './pinning.js';
export { requestView, type HttpRequestView, type EnvoyFacts } from './request.js';
export { denyWith, JSON_CONTENT_TYPE, type Allow, type Decision, type Deny, type HeaderToSet, type LimitHold, type ListPlan, type RequestSummary, type Respond } from './decision.js';
export { OWNED_HEADERS, MCP_METHOD_HEADER, MCP_NAME_HEADER, headerSafe } from './ownedHeaders.js';
export { ServerTable, hostOf, type CompiledServer } from './servers.js';
