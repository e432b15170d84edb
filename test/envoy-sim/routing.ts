// Route table and upstream clusters: route match on :authority + path prefix, then the cluster's
// load balancer, using the production mirror of Envoy's hash LB (src/routing).
import { buildHashLb, headerPolicyHash, randomHash, type HashLoadBalancer, type Xxh64 } from '../../src/routing/index.js';
import type { HeaderList } from './headerList.js';
import { DEFAULT_OVERRIDE_HOST_STATUS, validateEndpoints, type OverrideHostStatus, type SimCluster, type SimRoute } from './options.js';

/** First route whose authority and path prefix match, as Envoy's virtual host + route match does. */
export function matchRoute(routes: readonly SimRoute[], headers: HeaderList): SimRoute | undefined {
  const authority = (headers.first(':authority') ?? '').toLowerCase();
  const path = headers.first(':path') ?? '/';
  return routes.find((r) => {
    const a = r.authority.toLowerCase();
    const hostOnly = authority.replace(/:\d+$/, '');
    const authorityOk = a === '*' || a === authority || a === hostOnly;
    return authorityOk && path.startsWith(r.pathPrefix ?? '/');
  });
}

export class ClusterLb {
  private endpoints: string[] = [];
  private draining: ReadonlySet<string> = new Set();
  private hashLb: HashLoadBalancer | undefined;
  private rrIndex = 0;

  constructor(
    readonly config: SimCluster,
    private readonly xxh: Xxh64,
  ) {
    this.setEndpoints(config.endpoints, config.drainingEndpoints);
  }

  /**
   * EDS update: rebuilds the ring / table from the new HEALTHY host set. DRAINING hosts stay in the
   * host map (for host overrides) but out of the ring / table, as Envoy's LB skips them.
   */
  setEndpoints(endpoints: readonly string[], draining: readonly string[] = []): void {
    validateEndpoints(this.config.name, endpoints, draining);
    this.endpoints = [...endpoints];
    this.draining = new Set(draining);
    const c = this.config;
    this.hashLb =
      c.lb === 'round_robin'
        ? undefined
        : buildHashLb(c.lb, this.endpoints.map((key) => ({ key })), { minimumRingSize: c.minimumRingSize, tableSize: c.tableSize }, this.xxh);
  }

  /** Host key for a request with these (already mutated) headers; undefined when no endpoint exists. */
  pick(headers: HeaderList): string | undefined {
    if (this.endpoints.length === 0) return undefined;
    if (!this.hashLb) return this.endpoints[this.rrIndex++ % this.endpoints.length];
    // The router hashes the live header map (router.cc computeHashKey); no hash → random position.
    const h = headerPolicyHash(headers.get(this.config.hashHeader!), this.xxh) ?? randomHash();
    return this.hashLb.pick(h);
  }

  /**
   * The host an upstream override (stateful session) selects: `address` if it is a host of this
   * cluster whose health status is in override_host_status; otherwise undefined (LB fallback).
   */
  overrideHost(address: string): string | undefined {
    const status: OverrideHostStatus | undefined = this.endpoints.includes(address) ? 'HEALTHY' : this.draining.has(address) ? 'DRAINING' : undefined;
    if (status === undefined) return undefined;
    return (this.config.overrideHostStatus ?? DEFAULT_OVERRIDE_HOST_STATUS).includes(status) ? address : undefined;
  }
}
