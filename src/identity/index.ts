// Identity: who is calling (JWT bearer / DPoP, API key, mesh SPIFFE id) and the challenges that
// tell a client how to authenticate. Pure of Envoy and of config parsing.
export { Authenticator, type AuthenticatorDeps, type AuthenticatorStats } from './authenticator.js';
export type { AuthenticatorOptions, ApiKeyOptions, DpopMode, IssuerOptions } from './options.js';
export type { AuthErrorCode, AuthFailure, AuthFailureReason, AuthInput, AuthOutcome, ChallengeScheme, Principal } from './types.js';
export { MemoryReplayCache, type ReplayCache } from './replayCache.js';
export { bearerChallenge, challengeFor, dpopChallenge, type ChallengeParams } from './challenge.js';
export { DPOP_ALGORITHMS } from './dpop.js';
export { apiKeyDigest } from './apiKeys.js';
export { canonicalResource } from './audience.js';
