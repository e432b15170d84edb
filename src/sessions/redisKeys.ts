// Key layout of sessions in Redis (see docs/operations.md, "Session store"). Server names hold no
// ":" (validate.ts), so each key reads back unambiguously; ids come last and may hold ":".
// Each session belongs to one slot group and, within it, one list bucket, both chosen by hashing
// (server, id), so every replica agrees. A group's keys share a hash tag on Cluster ("{s7}"), so
// every script over a session and its indexes runs on one node, while sessions spread over the
// groups. Outside Cluster there is one group and no tag.

/** A session id as SDKs issue them (crypto.randomUUID): stored in list buckets as 17 bytes instead of 36. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * A session id as a list bucket member: a lower-case UUID packed to a zero byte and its 16 bytes
 * (no session id holds a zero byte, so the two forms never meet), any other id as it is.
 */
export function listMember(id: string): string | Buffer {
  return UUID.test(id) ? Buffer.concat([Buffer.of(0), Buffer.from(id.replaceAll('-', ''), 'hex')]) : id;
}

export function idOfListMember(member: Buffer): string {
  if (member.length !== 17 || member[0] !== 0) return member.toString('latin1');
  const h = member.subarray(1).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Where a session sits in the listing order (server, group, bucket, id). */
export interface BucketPlace {
  group: number;
  bucket: number;
}

export class SessionKeys {
  /** Pub/sub channel carrying {server, ids} of bindings ended or re-bound, for other replicas' caches. */
  readonly invalidations: string;
  /** List buckets per server in each group. */
  readonly bucketsPerGroup: number;

  constructor(
    private readonly prefix: string,
    /** Slot groups (1 outside Cluster). */
    readonly groups: number,
    /** List buckets per server, over all groups. */
    buckets: number,
    /** The hash tag of group g ("" outside Cluster). */
    private readonly slotTag: (tag: string) => string,
  ) {
    this.invalidations = `${prefix}sessions:invalidate`;
    this.bucketsPerGroup = Math.max(1, Math.ceil(buckets / groups));
  }

  /** FNV-1a over "server id": the group from the low part, the bucket from the rest. */
  place(server: string, id: string): BucketPlace {
    let h = 0x811c9dc5;
    const s = `${server} ${id}`;
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    h >>>= 0;
    return { group: h % this.groups, bucket: Math.floor(h / this.groups) % this.bucketsPerGroup };
  }

  /** String: the binding (codec.ts), with PX = the sliding TTL. */
  binding(server: string, id: string, group = this.place(server, id).group): string {
    return `${this.base(group)}s:${server}:${id}`;
  }

  /**
   * Sorted set of the session ids of one list bucket, scored by expiry (ms): small enough to stay
   * in Redis's compact listpack encoding, and expired members are dropped by the next write.
   */
  bucket(server: string, { group, bucket }: BucketPlace): string {
    return `${this.base(group)}i:${server}:${bucket}`;
  }

  /** Hash of a server's live sessions per pod in one group (pod → count), and " m": the last window subtracted. */
  counts(server: string, group: number): string {
    return this.countsPrefix(group) + server;
  }

  countsPrefix(group: number): string {
    return `${this.base(group)}c:`;
  }

  /** Prefix of the hashes of one expiry window's sessions per pod (pod → count), the window number appended. */
  windowPrefix(server: string, group: number): string {
    return `${this.base(group)}w:${server}:`;
  }

  /** Set of the servers with sessions in one group, so a listing of every server finds them. */
  servers(group: number): string {
    return `${this.base(group)}servers`;
  }

  private base(g: number): string {
    return this.prefix + this.slotTag(`s${g}`);
  }
}
