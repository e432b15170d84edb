// The values identity hands to the rest of mcpgw are the core's vocabulary (src/core/identityPort.ts):
// this module implements the core's Authenticator.
export type { AuthErrorCode, AuthFailure, AuthFailureReason, AuthInput, AuthOutcome, ChallengeScheme, Principal } from '../core/index.js';
