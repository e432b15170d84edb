// The bindings this replica wrote in the last few seconds: the writes an asynchronously replicated
// Redis can lose when its master fails before passing them on. Checked after the store recovers.

/** How long a write stays a suspect: replication lag is milliseconds; failure detection, seconds. */
export const RECENT_WRITE_MS = 10_000;
/** Bounded whatever the write rate: the oldest suspects go first. */
const MAX_RECENT = 10_000;

export interface RecentWrite {
  server: string;
  id: string;
  pod: string;
  atMs: number;
}

export class RecentWrites {
  /** Insertion order is write order (a rewrite moves the entry to the end). */
  private readonly writes = new Map<string, RecentWrite>();

  add(server: string, id: string, pod: string, atMs: number): void {
    const key = `${server} ${id}`;
    this.writes.delete(key);
    this.writes.set(key, { server, id, pod, atMs });
    if (this.writes.size > MAX_RECENT) this.writes.delete(this.writes.keys().next().value!);
  }

  /** The binding was deleted on purpose: its absence is no loss. */
  forget(server: string, id: string): void {
    this.writes.delete(`${server} ${id}`);
  }

  /** Removes and returns the writes made in the RECENT_WRITE_MS before `ms` (older ones are dropped). */
  takeBefore(ms: number): RecentWrite[] {
    const out: RecentWrite[] = [];
    for (const [key, w] of this.writes) {
      if (w.atMs > ms) continue;
      this.writes.delete(key);
      if (ms - w.atMs <= RECENT_WRITE_MS) out.push(w);
    }
    return out;
  }
}
