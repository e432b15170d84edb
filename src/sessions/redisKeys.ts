// Key layout of sessions in Redis (see docs/operations.md, "Session store"). Server names hold no
// ":" (validate.ts), so each key reads back unambiguously; ids and pods come last and may hold ":".
export class SessionKeys {
  /** Pub/sub channel carrying {server, ids} of bindings ended or re-bound, for other replicas' caches. */
  readonly invalidations: string;
  /** Sorted set of listPosition()s (listOrder.ts), all scored 0, so ZRANGE BYLEX pages in (server, id) order. */
  readonly listIndex: string;
  /** Sorted set of the same listPosition()s scored by expiry (ms), to prune listIndex. */
  readonly expiryIndex: string;

  constructor(private readonly prefix: string) {
    this.invalidations = `${prefix}sessions:invalidate`;
    this.listIndex = `${prefix}idx`;
    this.expiryIndex = `${prefix}exp`;
  }

  /** String: the binding as JSON, with PX = the sliding TTL. */
  binding(server: string, id: string): string {
    return this.bindingPrefix(server) + id;
  }

  bindingPrefix(server: string): string {
    return `${this.prefix}s:${server}:`;
  }

  /** Sorted set of session ids on one pod, scored by expiry (ms): ZCOUNT now..+inf is exact. */
  pod(server: string, pod: string): string {
    return this.podPrefix(server) + pod;
  }

  podPrefix(server: string): string {
    return `${this.prefix}p:${server}:`;
  }

  /** Sorted set of one server's pods, scored by their latest session expiry, so livePerPod finds them. */
  pods(server: string): string {
    return `${this.prefix}pods:${server}`;
  }
}
