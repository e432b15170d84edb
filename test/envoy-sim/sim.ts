// EnvoySim: lifecycle (start / close) and the pieces shared by every request.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { loadEnvoyServices } from '../../src/envoy/protos.js';
import { loadXxh64 } from '../../src/routing/index.js';
import { Exchange, type SimContext } from './exchange.js';
import { ExtAuthzFilter } from './extAuthz.js';
import { validateOptions, type EnvoySimOptions, type SimLogEntry } from './options.js';
import { ClusterLb } from './routing.js';

export class EnvoySim {
  /** One entry per downstream request, appended when the request arrives. */
  readonly log: SimLogEntry[] = [];
  private server: http.Server | undefined;
  private ctx: SimContext | undefined;
  private readonly pools: ConnectionPool[] = [];
  private readonly edsPending = new Set<NodeJS.Timeout>();
  private edsIdle: Array<() => void> = [];

  constructor(private readonly opts: EnvoySimOptions) {
    validateOptions(opts);
  }

  async start(): Promise<void> {
    const xxh = await loadXxh64();
    const services = loadEnvoyServices();
    const clusters = new Map(this.opts.clusters.map((c) => [c.name, new ClusterLb(c, xxh)]));
    const ctx: SimContext = { opts: this.opts, clusters, agent: new http.Agent({ keepAlive: true }), log: this.log };
    const pool = (ctor: grpc.ServiceClientConstructor, target: string | string[]) => {
      const pools = (Array.isArray(target) ? target : [target]).map((t) => new ConnectionPool(ctor, t, this.opts.grpcMaxRequestsPerConnection));
      this.pools.push(...pools);
      let i = 0;
      // Envoy balances its gRPC calls over the cluster's hosts; the sim takes them in turn.
      return () => (pools[i++ % pools.length] as ConnectionPool).next();
    };
    if (this.opts.extAuthz) ctx.authz = new ExtAuthzFilter(this.opts.extAuthz, pool(services.authorization, this.opts.extAuthz.target));
    if (this.opts.extProc) ctx.extProcClient = pool(services.externalProcessor, this.opts.extProc.target);
    this.ctx = ctx;
    const server = http.createServer((req, res) => void new Exchange(ctx, req, res).run());
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.listenPort ?? 0, '127.0.0.1', () => resolve());
    });
  }

  /** http://127.0.0.1:<port> of the downstream listener. */
  get url(): string {
    if (!this.server) throw new Error('envoy-sim: not started');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /**
   * EDS update for a cluster: rebuilds its ring / Maglev table from the HEALTHY `endpoints`;
   * `draining` hosts (EDS DRAINING) are reachable only by a host override the cluster allows.
   * Applied `edsDelayMs` later, in the order given.
   */
  setEndpoints(cluster: string, endpoints: string[], opts: { draining?: string[] } = {}): void {
    const lb = this.ctx?.clusters.get(cluster);
    if (!lb) throw new Error(`envoy-sim: unknown cluster ${cluster} (or not started)`);
    const delay = this.opts.edsDelayMs ?? 0;
    if (delay <= 0) return lb.setEndpoints(endpoints, opts.draining);
    const [healthy, draining] = [[...endpoints], opts.draining ? [...opts.draining] : undefined];
    // Timers of one delay fire in the order they were set, so updates apply in order.
    const timer = setTimeout(() => {
      this.edsPending.delete(timer);
      lb.setEndpoints(healthy, draining);
      if (this.edsPending.size === 0) for (const idle of this.edsIdle.splice(0)) idle();
    }, delay);
    this.edsPending.add(timer);
  }

  /** Resolves once every EDS update given so far has been applied. */
  edsApplied(): Promise<void> {
    return this.edsPending.size === 0 ? Promise.resolve() : new Promise((r) => this.edsIdle.push(r));
  }

  async close(): Promise<void> {
    for (const t of this.edsPending) clearTimeout(t);
    this.edsPending.clear();
    for (const idle of this.edsIdle.splice(0)) idle();
    const server = this.server;
    this.server = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
    this.ctx?.agent.destroy();
    for (const p of this.pools.splice(0)) p.close();
  }
}

/**
 * One host's HTTP/2 connection, replaced after `maxRequests` streams as Envoy's
 * max_requests_per_connection does (each client gets its own subchannel, so its own connection).
 */
class ConnectionPool {
  private client: grpc.Client | undefined;
  private used = 0;
  private readonly retired: grpc.Client[] = [];

  constructor(
    private readonly ctor: grpc.ServiceClientConstructor,
    private readonly target: string,
    private readonly maxRequests = Infinity,
  ) {}

  next(): grpc.Client {
    if (!this.client || this.used >= this.maxRequests) {
      if (this.client) this.retired.push(this.client);
      this.client = new this.ctor(this.target, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
      this.used = 0;
    }
    this.used++;
    return this.client;
  }

  close(): void {
    for (const c of [...this.retired, ...(this.client ? [this.client] : [])]) c.close();
  }
}
