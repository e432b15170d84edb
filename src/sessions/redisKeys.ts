// Key layout of sessions in Redis (see docs/operations.md, "Session store"). Server names hold no
// ":" (validate.ts), so each key reads back unambiguously; ids and pods come last and may hold ":".
// Each session belongs to one slot group, chosen by hashing (server, id); the group's keys share a
// hash tag on Cluster ("{s7}"), so every script over a session and its indexes runs on one node,
// while sessions spread over the groups. Outside Cluster there is one group and no tag.

export class SessionKeys {
  /** Pub/sub channel carrying {server, ids} of bindings ended or re-bound, for other replicas' caches. */
  readonly invalidations: string;

  constructor(
    private readonly prefix: string,
    /** Slot groups (1 outside Cluster). */
    readonly groups: number,
    /** The hash tag of group g ("" outside Cluster). */
    private readonly slotTag: (tag: string) => string,
  ) {
    this.invalidations = `${prefix}sessions:invalidate`;
  }

  /** The group of a session: FNV-1a over its list position, so every replica agrees. */
  group(server: string, id: string): number {
    if (this.groups === 1) return 0;
    let h = 0x811c9dc5;
    const s = `${server} ${id}`;
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    return (h >>> 0) % this.groups;
  }

  /** Sorted set of listPosition()s (listOrder.ts) of one group, all scored 0, so ZRANGE BYLEX pages in (server, id) order. */
  listIndex(g: number): string {
    return `${this.base(g)}idx`;
  }

  /** String: the binding (codec.ts), with PX = the sliding TTL. */
  binding(server: string, id: string): string {
    return this.bindingPrefix(server, this.group(server, id)) + id;
  }

  bindingPrefix(server: string, g: number): string {
    return `${this.base(g)}s:${server}:`;
  }

  /**
   * Sorted set of one group's session ids on one pod, scored by expiry (ms): ZCOUNT now..+inf is
   * exact, and its expired members say which list entries to prune.
   */
  pod(server: string, pod: string, g: number): string {
    return this.podPrefix(server, g) + pod;
  }

  podPrefix(server: string, g: number): string {
    return `${this.base(g)}p:${server}:`;
  }

  /** Sorted set of one group's pods of a server, scored by their latest session expiry, so livePerPod finds them. */
  pods(server: string, g: number): string {
    return `${this.base(g)}pods:${server}`;
  }

  private base(g: number): string {
    return this.prefix + this.slotTag(`s${g}`);
  }
}
