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
  private readonly grpcClients: grpc.Client[] = [];

  constructor(private readonly opts: EnvoySimOptions) {
    validateOptions(opts);
  }

  async start(): Promise<void> {
    const xxh = await loadXxh64();
    const services = loadEnvoyServices();
    const clusters = new Map(this.opts.clusters.map((c) => [c.name, new ClusterLb(c, xxh)]));
    const ctx: SimContext = { opts: this.opts, clusters, agent: new http.Agent({ keepAlive: true }), log: this.log };
    if (this.opts.extAuthz) {
      const c = new services.authorization(this.opts.extAuthz.target, grpc.credentials.createInsecure());
      this.grpcClients.push(c);
      ctx.authz = new ExtAuthzFilter(this.opts.extAuthz, c);
    }
    if (this.opts.extProc) {
      ctx.extProcClient = new services.externalProcessor(this.opts.extProc.target, grpc.credentials.createInsecure());
      this.grpcClients.push(ctx.extProcClient);
    }
    this.ctx = ctx;
    const server = http.createServer((req, res) => void new Exchange(ctx, req, res).run());
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
  }

  /** http://127.0.0.1:<port> of the downstream listener. */
  get url(): string {
    if (!this.server) throw new Error('envoy-sim: not started');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** EDS update for a cluster: rebuilds its ring / Maglev table. */
  setEndpoints(cluster: string, endpoints: string[]): void {
    const lb = this.ctx?.clusters.get(cluster);
    if (!lb) throw new Error(`envoy-sim: unknown cluster ${cluster} (or not started)`);
    lb.setEndpoints(endpoints);
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
    this.ctx?.agent.destroy();
    for (const c of this.grpcClients.splice(0)) c.close();
  }
}
