// One MCP server's pods as Envoy's LB sees them, and what mcpgw needs to pin sessions to them:
// which pod gets a new session, which header value lands on a pod, whether a pod still serves its
// sessions. Rebuilt when the endpoint set changes; the request path only reads it.
//
// mcpgw sees an endpoint change before Envoy does (istiod debounces EDS pushes and pushes each proxy
// at its own moment), so in hash mode it keeps the sets it saw within a convergence window: keys are
// right under every one of them, and new sessions go only to pods that every one of them holds.
import type { PodLoss } from '../../core/index.js';
import type { EndpointSnapshot } from '../../endpoints/index.js';
import { AffinityKeyTable, EndpointSet, addressHeaderValue, newAffinityKey, type AffinityLbConfig } from '../affinity/index.js';
import type { Xxh64 } from '../hash/index.js';

export interface ServerPodsConfig {
  mode: 'hash' | 'address';
  lb: AffinityLbConfig;
  drainDeadlineMs: number;
  /** How long an Envoy may still hold an endpoint set after mcpgw saw the next one (0: Envoy is never behind). */
  convergenceMs: number;
  /** Told after each key-table build how many pods have no key that is right under the whole window. */
  onKeysBuilt?: (unconverged: readonly string[]) => void;
}

/**
 * At most this many distinct earlier sets are kept; a flapping endpoint beyond it loses the oldest.
 * Bounds key-search cost (each candidate is checked against every set) and memory.
 */
export const MAX_WINDOW_SETS = 32;

/** A set mcpgw no longer holds but an Envoy may, until `until` (ms epoch). */
interface EarlierSet {
  set: EndpointSet;
  until: number;
}

export type { PodLoss } from '../../core/index.js';

export interface PodState {
  host: string;
  inLoadBalancer: boolean;
  ready: boolean;
  terminating: boolean;
  /**
   * In the LB now but not yet in every endpoint set an Envoy may still hold (hash mode): no new
   * sessions go there until the convergence window passes or a response proves Envoy routes to it.
   */
  converging: boolean;
  /** ms epoch when draining began (annotation seen, admin drain, or seen terminating while still reachable), if draining. */
  drainingSince?: number;
  drainSource?: 'annotation' | 'admin' | 'terminating';
}

export class ServerPods {
  private table: AffinityKeyTable;
  private current: EndpointSet;
  /** Oldest first; pruned when read, so an expired set only ever makes choices more careful. */
  private earlier: EarlierSet[] = [];
  /** Converging pods that served a response: some Envoy already routes to them. */
  private readonly served = new Set<string>();
  private snapshot: EndpointSnapshot | undefined;
  private readonly annotationDrains = new Map<string, number>();
  /** Terminating pods Envoy still holds as DRAINING (persistent-session Service): host → ms epoch first seen. */
  private readonly terminatingSince = new Map<string, number>();
  /** The hosts Envoy's LB balances over: HEALTHY ones; DRAINING hosts are reachable only by host override. */
  private lbHosts: ReadonlySet<string> = new Set();

  constructor(
    private readonly config: ServerPodsConfig,
    private readonly xxh: Xxh64,
    /** Admin drain marks (shared across replicas by the store): host → ms epoch. */
    private readonly adminDrains: () => ReadonlyMap<string, number>,
  ) {
    this.table = AffinityKeyTable.build([], config.lb, xxh);
    this.current = EndpointSet.build([], config.lb, xxh);
  }

  /** Without an endpoint source mcpgw cannot choose pods: Envoy picks, mcpgw learns from upstream.address. */
  get knowsEndpoints(): boolean {
    return this.snapshot?.synced === true;
  }

  update(snapshot: EndpointSnapshot, now: number): void {
    this.snapshot = snapshot;
    const ready = new Set(snapshot.endpoints.filter((e) => e.ready).map((e) => e.hostKey));
    const lbHosts = snapshot.envoyHosts.filter((h) => ready.has(h));
    this.lbHosts = new Set(lbHosts);
    // Envoy's ring / table holds only HEALTHY hosts (reference/envoy.md §3.6), not the DRAINING ones.
    if (this.config.mode === 'hash' && !this.current.sameAs(lbHosts)) this.advance(EndpointSet.build(lbHosts, this.config.lb, this.xxh), now);
    const draining = new Set(snapshot.envoyHosts.filter((h) => !ready.has(h)));
    for (const host of this.terminatingSince.keys()) if (!draining.has(host)) this.terminatingSince.delete(host);
    for (const host of draining) if (!this.terminatingSince.has(host)) this.terminatingSince.set(host, now);
    const annotated = new Set(snapshot.endpoints.filter((e) => e.drainRequested).map((e) => e.hostKey));
    for (const host of this.annotationDrains.keys()) if (!annotated.has(host)) this.annotationDrains.delete(host);
    for (const host of annotated) if (!this.annotationDrains.has(host)) this.annotationDrains.set(host, now);
  }

  /** The current set becomes an earlier one that an Envoy may hold for the convergence window. */
  private advance(next: EndpointSet, now: number): void {
    const previous = this.current;
    // An empty set routes nothing, so no session can depend on it.
    if (previous.hosts.size > 0 && this.config.convergenceMs > 0) {
      this.earlier = this.earlier.filter((e) => !e.set.sameAs(previous.order));
      this.earlier.push({ set: previous, until: now + this.config.convergenceMs });
    }
    this.earlier = this.earlier.filter((e) => e.until > now && !e.set.sameAs(next.order)).slice(-MAX_WINDOW_SETS);
    this.current = next;
    for (const host of this.served) if (!next.hosts.has(host)) this.served.delete(host);
    const built = AffinityKeyTable.forWindow(next, this.earlier.map((e) => e.set), this.xxh, this.table);
    this.table = built.table;
    this.config.onKeysBuilt?.(built.unconverged);
  }

  /** The earlier sets an Envoy may still hold at `now`. */
  private window(now: number): EarlierSet[] {
    if (this.earlier.length && this.earlier[0]!.until <= now) this.earlier = this.earlier.filter((e) => e.until > now);
    return this.earlier;
  }

  /** Whether every Envoy can route to `host`: it is in every set of the window, or it already served. */
  private reachableEverywhere(host: string, now: number): boolean {
    return this.served.has(host) || this.window(now).every((e) => e.set.hosts.has(host));
  }

  /** A response said that `host` served it: an Envoy has it, so it may take new sessions. */
  observeServed(host: string): void {
    if (this.current.hosts.has(host) && !this.served.has(host)) this.served.add(host);
  }

  private drainingSince(host: string): number | undefined {
    const since = [this.annotationDrains.get(host), this.adminDrains().get(host), this.terminatingSince.get(host)].filter((t) => t !== undefined);
    return since.length ? Math.min(...since) : undefined;
  }

  /**
   * The pod for a new session: in Envoy's LB, ready (not a terminating one kept for host override),
   * not draining, reachable by every Envoy (hash mode), with the fewest live sessions; ties broken at random.
   */
  choosePod(livePerPod: ReadonlyMap<string, number>, now: number, random: () => number = Math.random): string | undefined {
    const s = this.snapshot;
    if (!s?.synced) return undefined;
    const ready = new Set(s.endpoints.filter((e) => e.ready && !e.terminating).map((e) => e.hostKey));
    let best: string[] = [];
    let fewest = Infinity;
    for (const host of s.envoyHosts) {
      if (!ready.has(host) || this.drainingSince(host) !== undefined) continue;
      if (this.config.mode === 'hash' && (this.table.keyFor(host) === undefined || !this.reachableEverywhere(host, now))) continue;
      const n = livePerPod.get(host) ?? 0;
      if (n < fewest) [best, fewest] = [[host], n];
      else if (n === fewest) best.push(host);
    }
    return best.length ? best[Math.floor(random() * best.length)] : undefined;
  }

  /** The affinity header value that makes Envoy route to `host` now (undefined if it cannot). */
  headerValueFor(host: string): string | undefined {
    if (this.config.mode === 'address') return addressHeaderValue(host);
    return this.table.keyFor(host);
  }

  /** A key for a new session when no pod can be chosen: Envoy picks, the response tells mcpgw which. */
  randomKey(): string {
    return newAffinityKey();
  }

  /** Whether a session bound to `host` can still be routed there. */
  lossOf(host: string, now: number): PodLoss | undefined {
    const s = this.snapshot;
    if (!s?.synced) return undefined;
    if (!s.envoyHosts.includes(host)) return 'pod_gone';
    // A hash reaches only the LB's hosts; a DRAINING host is reachable by host override (address mode) alone.
    if (this.config.mode === 'hash' && !this.lbHosts.has(host)) return 'pod_gone';
    const since = this.drainingSince(host);
    if (since !== undefined && now - since >= this.config.drainDeadlineMs) return 'drain_expired';
    return undefined;
  }

  /** Whether `host` is draining and still within its deadline (its sessions still route there). */
  isDraining(host: string, now: number): boolean {
    const since = this.drainingSince(host);
    return since !== undefined && now - since < this.config.drainDeadlineMs;
  }

  /** The predicted pod for a key (hash mode with endpoint knowledge). */
  hostFor(key: string): string | undefined {
    return this.config.mode === 'hash' ? this.table.hostFor(key) : undefined;
  }

  pods(now: number): PodState[] {
    const s = this.snapshot;
    if (!s) return [];
    const inLb = new Set(s.envoyHosts);
    return s.endpoints.map((e) => {
      const since = this.drainingSince(e.hostKey);
      const converging = this.config.mode === 'hash' && this.lbHosts.has(e.hostKey) && !this.reachableEverywhere(e.hostKey, now);
      const pod: PodState = { host: e.hostKey, inLoadBalancer: inLb.has(e.hostKey), ready: e.ready, terminating: e.terminating, converging };
      if (since !== undefined) {
        pod.drainingSince = since;
        pod.drainSource = this.annotationDrains.has(e.hostKey) ? 'annotation' : this.adminDrains().has(e.hostKey) ? 'admin' : 'terminating';
      }
      return pod;
    });
  }
}
