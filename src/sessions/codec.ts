// A binding as stored in Redis: JSON of exactly the SessionBinding fields, read back defensively
// because the value crosses a process boundary (another mcpgw version may have written it).
import type { SessionBinding } from './binding.js';
import { assertValidBinding } from './validate.js';

export function encodeBinding(b: SessionBinding): string {
  const stored: SessionBinding = {
    id: b.id,
    server: b.server,
    kind: b.kind,
    pod: b.pod,
    revision: b.revision,
    createdAt: b.createdAt,
    lastSeenAt: b.lastSeenAt,
  };
  if (b.affinityKey !== undefined) stored.affinityKey = b.affinityKey;
  if (b.principal !== undefined) stored.principal = b.principal;
  if (b.handshake !== undefined) stored.handshake = b.handshake;
  if (b.upstreamId !== undefined) stored.upstreamId = b.upstreamId;
  if (b.recoveries !== undefined) stored.recoveries = b.recoveries;
  return JSON.stringify(stored);
}

/** The binding, or undefined when the stored value is not one (it is then treated as absent). */
export function decodeBinding(json: string): SessionBinding | undefined {
  try {
    const b = JSON.parse(json) as SessionBinding;
    assertValidBinding(b);
    return b;
  } catch {
    return undefined;
  }
}
