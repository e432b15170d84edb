// A binding as stored in Redis, compact: the value holds only what its key does not (the key
// already names server and id), as space-separated tokens the Lua scripts can read the pod from:
//   "<pod> <kind letter><revision> <createdAt base36> <lastSeenAt base36>[ <JSON of optional fields>]"
// e.g. "10.1.2.3:8080 s2025-06-18 mhx1c0g4 mhx1c0g4" (42 bytes, stored inline by Redis). Values
// written by earlier versions (JSON of every field) are still read, so a rolling upgrade keeps them.
// Read back defensively: the value crosses a process boundary (another mcpgw version may have written it).
import type { SessionBinding, SessionKind } from './binding.js';
import { assertValidBinding, SessionInputError } from './validate.js';

const KIND_LETTER: Record<SessionKind, string> = { streamable: 's', 'legacy-sse': 'l', task: 't' };
const LETTER_KIND = new Map(Object.entries(KIND_LETTER).map(([k, l]) => [l, k as SessionKind]));

/** Optional fields, short names: a = affinityKey, p = principal, h = handshake, u = upstreamId, r = recoveries. */
interface Extras {
  a?: string;
  p?: string;
  h?: string;
  u?: string;
  r?: number;
}

export function encodeBinding(b: SessionBinding): string {
  // A leading "{" marks the JSON records of earlier versions (pods are "ip:port" host keys anyway).
  if (b.pod.startsWith('{')) throw new SessionInputError('invalid session binding: pod must not start with "{"');
  const extras: Extras = {};
  if (b.affinityKey !== undefined) extras.a = b.affinityKey;
  if (b.principal !== undefined) extras.p = b.principal;
  if (b.handshake !== undefined) extras.h = b.handshake;
  if (b.upstreamId !== undefined) extras.u = b.upstreamId;
  if (b.recoveries !== undefined) extras.r = b.recoveries;
  // encodeURIComponent keeps revision dates as they are and turns any space into %20, so tokens stay apart.
  const head = `${b.pod} ${KIND_LETTER[b.kind]}${encodeURIComponent(b.revision)} ${time(b.createdAt)} ${time(b.lastSeenAt)}`;
  return Object.keys(extras).length ? `${head} ${JSON.stringify(extras)}` : head;
}

/** The binding of (server, id), or undefined when the stored value is not one (it is then treated as absent). */
export function decodeBinding(value: string, server: string, id: string): SessionBinding | undefined {
  try {
    const b = value.startsWith('{') ? legacy(value) : compact(value, server, id);
    if (!b || b.server !== server || b.id !== id) return undefined;
    assertValidBinding(b);
    return b;
  } catch {
    return undefined;
  }
}

function compact(value: string, server: string, id: string): SessionBinding | undefined {
  const [pod, kindRevision, created, lastSeen] = value.split(' ', 4);
  const kind = LETTER_KIND.get(kindRevision?.[0] ?? '');
  if (!pod || !kind || created === undefined || lastSeen === undefined) return undefined;
  const b: SessionBinding = { id, server, kind, pod, revision: decodeURIComponent(kindRevision!.slice(1)), createdAt: parseInt(created, 36), lastSeenAt: parseInt(lastSeen, 36) };
  const tailAt = pod.length + kindRevision!.length + created.length + lastSeen.length + 4;
  if (value.length > tailAt) {
    const e = JSON.parse(value.slice(tailAt)) as Extras;
    if (e.a !== undefined) b.affinityKey = e.a;
    if (e.p !== undefined) b.principal = e.p;
    if (e.h !== undefined) b.handshake = e.h;
    if (e.u !== undefined) b.upstreamId = e.u;
    if (e.r !== undefined) b.recoveries = e.r;
  }
  return b;
}

/** JSON of every field, as earlier versions wrote it. */
function legacy(value: string): SessionBinding {
  return JSON.parse(value) as SessionBinding;
}

function time(ms: number): string {
  return Math.round(ms).toString(36);
}
