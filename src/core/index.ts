// The pure core: one decision function for both Envoy adapters, and the interfaces it owns
// (authenticator, session registry, pod directory, limiter, handshake, recovery lock), implemented
// by src/identity, src/sessions, src/routing and src/limits and wired in src/server.
export type { Clock } from './clock.js';
export { Gateway, type GatewayDeps, type HookCapabilities, type UpstreamCredentials } from './gateway.js';
export { ServerAccess, PRM_PATH, callerOf } from './access.js';
export { SessionPinning, type PinPlan, type PinningDeps, type PinningEvents, type ResponseStep, type ResponseView, type PinnedServer } from './pinning.js';
export { requestView, type HttpRequestView, type EnvoyFacts } from './request.js';
export { type ResponseDecision, type ResponsePlan, type UpstreamResponse } from './response.js';
export { type BodyNeed, type BodyPurpose, type BodyRead, type BodyReader, type BodyStep } from './responseBody.js';
export { denyWith, refusedWith, JSON_CONTENT_TYPE, type Allow, type Decision, type Deny, type HeaderToSet, type LimitHold, type ListPlan, type RequestSummary, type Respond } from './decision.js';
export { OWNED_HEADERS, MCP_METHOD_HEADER, MCP_NAME_HEADER, headerSafe } from './ownedHeaders.js';
export { ServerTable, hostOf, type CompiledServer } from './servers.js';
export { limitRefusal, RATE_LIMITED_CODE } from './limitRefusal.js';
export type { AuthChallenge, AuthErrorCode, AuthFailure, AuthFailureReason, AuthInput, AuthOutcome, Authenticator, ChallengeScheme, Principal } from './identityPort.js';
export type { AnomalyFlag, LeasedEntry, LimitHeader, LimitLease, LimitRequest, LimitVerdict, Limiter, RefusalReason, UnavailablePolicy } from './limitPort.js';
export {
  MAX_HANDSHAKE_CHARS,
  isStoreUnavailable,
  isValidSessionId,
  type HandshakeRequest,
  type HandshakeResult,
  type PodDirectory,
  type PodLoss,
  type RecoveryLock,
  type ServerPods,
  type SessionBinding,
  type SessionEndReason,
  type SessionHandshake,
  type SessionKind,
  type SessionRegistry,
} from './sessionPorts.js';
