// Session ids arrive from clients and become Redis keys, so they are checked before any lookup:
// visible ASCII only (no spaces, no control bytes, nothing to confuse a key or a log line).
import { MAX_HANDSHAKE_CHARS, isValidSessionId, type SessionBinding, type SessionKind } from '../core/index.js';

export { MAX_HANDSHAKE_CHARS, isValidSessionId } from '../core/index.js';

const KINDS: ReadonlySet<string> = new Set<SessionKind>(['streamable', 'legacy-sse', 'task']);

/** Malformed input to a registry (a binding field, a cursor, a limit). */
export class SessionInputError extends TypeError {
  override readonly name = 'SessionInputError';
}

/** Server names separate key parts with ":" and list entries with " ", so neither may appear. */
export function isValidServerName(server: unknown): server is string {
  // Same characters as a session id.
  return isValidSessionId(server) && !server.includes(':');
}

export function assertValidBinding(b: SessionBinding): void {
  const problem = bindingProblem(b);
  if (problem) throw new SessionInputError(`invalid session binding: ${problem}`);
}

function bindingProblem(b: SessionBinding): string | undefined {
  if (!isValidSessionId(b.id)) return 'id must be 1-256 visible ASCII characters';
  if (!isValidServerName(b.server)) return 'server must be 1-256 visible ASCII characters without ":"';
  if (!isValidSessionId(b.pod)) return 'pod must be 1-256 visible ASCII characters';
  if (!KINDS.has(b.kind)) return `kind must be one of ${[...KINDS].join(', ')}`;
  if (typeof b.revision !== 'string') return 'revision must be a string';
  if (b.affinityKey !== undefined && typeof b.affinityKey !== 'string') return 'affinityKey must be a string';
  if (b.principal !== undefined && typeof b.principal !== 'string') return 'principal must be a string';
  if (b.handshake !== undefined && (typeof b.handshake !== 'string' || b.handshake.length > MAX_HANDSHAKE_CHARS)) return `handshake must be a string of at most ${MAX_HANDSHAKE_CHARS} characters`;
  if (b.upstreamId !== undefined && !isValidSessionId(b.upstreamId)) return 'upstreamId must be 1-256 visible ASCII characters';
  if (b.recoveries !== undefined && !Number.isInteger(b.recoveries)) return 'recoveries must be an integer';
  if (!Number.isFinite(b.createdAt) || !Number.isFinite(b.lastSeenAt)) return 'createdAt and lastSeenAt must be numbers';
  return undefined;
}

export function assertValidLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1) throw new SessionInputError('limit must be a positive integer');
}
