// A binding as stored in Redis, compact: the value holds only what its key does not (the key
// already names server and id), as space-separated tokens the Lua scripts can read the pod from:
//   "<pod> <kind letter><revision> <createdAt base36> <lastSeenAt>[ <JSON of optional fields>]"
// A dated revision is written as its six digits after an upper-case kind letter ("S250618" for a
// streamable 2025-06-18 session); lastSeenAt as "+" and its distance from createdAt. E.g.
// "10.1.2.3:8080 S250618 mhx1c0g4 +2n9c" (36 bytes): at most 44 bytes, Redis stores a value inline
// with its header, one allocation instead of two. Values written by earlier versions (JSON of every
// field; absolute times and literal revisions) are still read, so a rolling upgrade keeps them.
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
  const head = `${b.pod} ${kindRevision(b.kind, b.revision)} ${time(b.createdAt)} ${lastSeen(b.createdAt, b.lastSeenAt)}`;
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
  const [pod, kindRevision, created, seen] = value.split(' ', 4);
  const letter = kindRevision?.[0] ?? '';
  const kind = LETTER_KIND.get(letter.toLowerCase());
  if (!pod || !kind || created === undefined || seen === undefined) return undefined;
  const dated = letter !== letter.toLowerCase();
  const rest = kindRevision!.slice(1);
  if (dated && !/^\d{6}$/.test(rest)) return undefined;
  const revision = dated ? `20${rest.slice(0, 2)}-${rest.slice(2, 4)}-${rest.slice(4)}` : decodeURIComponent(rest);
  const createdAt = parseInt(created, 36);
  const lastSeenAt = seen.startsWith('+') ? createdAt + parseInt(seen.slice(1), 36) : parseInt(seen, 36);
  const b: SessionBinding = { id, server, kind, pod, revision, createdAt, lastSeenAt };
  const tailAt = pod.length + kindRevision!.length + created.length + seen.length + 4;
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

/** The kind letter, then a dated revision's digits (letter upper-cased) or the revision itself. */
function kindRevision(kind: SessionKind, revision: string): string {
  const date = /^20(\d\d)-(\d\d)-(\d\d)$/.exec(revision);
  // encodeURIComponent keeps other revisions as they are and turns any space into %20, so tokens stay apart.
  return date ? `${KIND_LETTER[kind].toUpperCase()}${date[1]}${date[2]}${date[3]}` : `${KIND_LETTER[kind]}${encodeURIComponent(revision)}`;
}

function lastSeen(createdAt: number, lastSeenAt: number): string {
  const since = Math.round(lastSeenAt) - Math.round(createdAt);
  return since >= 0 ? `+${since.toString(36)}` : time(lastSeenAt);
}
