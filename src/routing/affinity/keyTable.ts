// Affinity keys that Envoy's own hash LB maps to a chosen pod. Built once per endpoint-history change,
// so the request path is a Map lookup, never a ring search (ARCHITECTURE.md, "Sessions and pod pinning").
import { randomBytes } from 'node:crypto';
import { buildHashLb, headerPolicyHash, type HashLbOptions, type HashLbPolicy, type HashLoadBalancer, type Xxh64 } from '../hash/index.js';

export interface AffinityLbConfig extends HashLbOptions {
  policy: HashLbPolicy;
}

/** Candidates tried per host before giving up on one that the window's sets hardly ever agree on. */
const TRIES_PER_HOST = 2000;

/** One endpoint set as an Envoy holds it: its hosts and the ring / table it builds over them. */
export class EndpointSet {
  private constructor(
    /** Host keys in EDS order (the ring's construction order). */
    readonly order: readonly string[],
    readonly hosts: ReadonlySet<string>,
    readonly lb: HashLoadBalancer | undefined,
  ) {}

  static build(hosts: readonly string[], config: AffinityLbConfig, xxh: Xxh64): EndpointSet {
    const set = new Set(hosts);
    const order = [...set];
    return new EndpointSet(order, set, order.length ? buildHashLb(config.policy, order.map((key) => ({ key })), config, xxh) : undefined);
  }

  /** Same hosts in the same order: Envoy builds the same ring / table. */
  sameAs(hosts: readonly string[]): boolean {
    return hosts.length === this.order.length && hosts.every((h, i) => h === this.order[i]);
  }
}

export interface KeyTableBuild {
  table: AffinityKeyTable;
  /** Hosts with no key valid under every earlier set that holds them: they got a key valid now only. */
  unconverged: string[];
}

export class AffinityKeyTable {
  private constructor(
    private readonly current: EndpointSet,
    private readonly keys: ReadonlyMap<string, string>,
    private readonly xxh: Xxh64,
  ) {}

  /** Keys over one endpoint set, with no earlier set to agree with. */
  static build(hosts: readonly string[], config: AffinityLbConfig, xxh: Xxh64): AffinityKeyTable {
    return AffinityKeyTable.forWindow(EndpointSet.build(hosts, config, xxh), [], xxh).table;
  }

  /**
   * For each host of `current`, a key whose header hash Envoy maps to that host under `current` and
   * under every set of `earlier` that still holds it: an Envoy that has not caught up yet routes the key
   * to the same pod (reference/envoy.md §3.7). Keys of `previous` that still qualify are kept; new
   * keys are random, so they reveal nothing about pods. The search is bounded; a host it cannot
   * satisfy keeps a key that is right under `current` and is reported.
   */
  static forWindow(current: EndpointSet, earlier: readonly EndpointSet[], xxh: Xxh64, previous?: AffinityKeyTable): KeyTableBuild {
    const lb = current.lb;
    const keys = new Map<string, string>();
    if (!lb) return { table: new AffinityKeyTable(current, keys, xxh), unconverged: [] };
    const fitsEarlier = (host: string, h: bigint) => earlier.every((s) => !s.hosts.has(host) || s.lb?.pick(h) === host);
    for (const host of current.hosts) {
      const key = previous?.keys.get(host);
      if (key === undefined) continue;
      const h = headerPolicyHash([key], xxh) ?? 0n;
      if (lb.pick(h) === host && fitsEarlier(host, h)) keys.set(host, key);
    }
    const nowOnly = new Map<string, string>();
    for (let tries = 0; keys.size < current.hosts.size && tries < TRIES_PER_HOST * current.hosts.size; tries++) {
      const key = newAffinityKey();
      const h = headerPolicyHash([key], xxh) ?? 0n;
      const host = lb.pick(h);
      if (host === undefined || keys.has(host)) continue;
      if (!nowOnly.has(host)) nowOnly.set(host, key);
      if (fitsEarlier(host, h)) keys.set(host, key);
    }
    const unconverged: string[] = [];
    for (const host of current.hosts) {
      if (keys.has(host)) continue;
      unconverged.push(host);
      const key = nowOnly.get(host);
      if (key !== undefined) keys.set(host, key);
    }
    return { table: new AffinityKeyTable(current, keys, xxh), unconverged };
  }

  /** A key that lands on `host` under the current endpoint set (and the window's), if the host is in it. */
  keyFor(host: string): string | undefined {
    return this.keys.get(host);
  }

  /** The host Envoy picks for a request carrying `key` under the current set (undefined without endpoints). */
  hostFor(key: string): string | undefined {
    return this.current.lb?.pick(headerPolicyHash([key], this.xxh) ?? 0n);
  }
}

/** 128 random bits, URL-safe: fine as a header value, meaningless to a client. */
export function newAffinityKey(): string {
  return randomBytes(16).toString('base64url');
}

/** Envoy's stateful-session header format: standard base64 of "ip:port" (reference/envoy.md §5.1). */
export function addressHeaderValue(host: string): string {
  return Buffer.from(host, 'utf8').toString('base64');
}
