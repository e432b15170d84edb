// Affinity keys that Envoy's own hash LB maps to a chosen pod. Built once per endpoint-set change,
// so the request path is a Map lookup, never a ring search (ARCHITECTURE.md, "Sessions and pod pinning").
import { randomBytes } from 'node:crypto';
import { buildHashLb, headerPolicyHash, type HashLbOptions, type HashLbPolicy, type HashLoadBalancer, type Xxh64 } from '../hash/index.js';

export interface AffinityLbConfig extends HashLbOptions {
  policy: HashLbPolicy;
}

/** Candidates tried per host before giving up on one that the table hardly ever lands on. */
const TRIES_PER_HOST = 2000;

export class AffinityKeyTable {
  private constructor(
    private readonly lb: HashLoadBalancer | undefined,
    private readonly keys: ReadonlyMap<string, string>,
    private readonly xxh: Xxh64,
    /** The hosts this table was built over, in Envoy's LB. */
    readonly hosts: ReadonlySet<string>,
  ) {}

  /**
   * Mirrors the LB Envoy builds over `hosts` and finds, for each host, a random key whose header hash
   * lands on it. Keys are random so they reveal nothing about pods.
   */
  static build(hosts: readonly string[], config: AffinityLbConfig, xxh: Xxh64): AffinityKeyTable {
    const set = new Set(hosts);
    if (set.size === 0) return new AffinityKeyTable(undefined, new Map(), xxh, set);
    const lb = buildHashLb(config.policy, [...set].map((key) => ({ key })), config, xxh);
    const keys = new Map<string, string>();
    for (let tries = 0; keys.size < set.size && tries < TRIES_PER_HOST * set.size; tries++) {
      const key = newAffinityKey();
      const host = lb.pick(headerPolicyHash([key], xxh) ?? 0n);
      if (host !== undefined && !keys.has(host)) keys.set(host, key);
    }
    return new AffinityKeyTable(lb, keys, xxh, set);
  }

  /** A key that lands on `host` under the current endpoint set, if the host is in it. */
  keyFor(host: string): string | undefined {
    return this.keys.get(host);
  }

  /** The host Envoy picks for a request carrying `key` (undefined without endpoint knowledge). */
  hostFor(key: string): string | undefined {
    return this.lb?.pick(headerPolicyHash([key], this.xxh) ?? 0n);
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
