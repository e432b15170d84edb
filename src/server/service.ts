// The running mcpgw: owns the gRPC and operations listeners, the store, the session registry and the
// endpoint watches; starts them in serve(), stops them in close().
import { parseListenAddress, type GatewayConfig } from '../config/index.js';
import { Gateway, SessionPinning } from '../core/index.js';
import { MemoryDrainMarks, PodDirectory, RedisDrainMarks, loadXxh64, type DrainMarks, type PodDirectoryDeps } from '../routing/index.js';
import { createSessionRegistry, type SessionRegistry } from '../sessions/index.js';
import { RedisStore, createStore, type Store } from '../store/index.js';
import { GatewayMetrics, type Logger } from '../telemetry/index.js';
import { adminHandler, adminTokenDigest } from './admin.js';
import { GrpcListener } from './grpcServer.js';
import { OpsListener } from './httpServer.js';

export interface ListeningAddresses {
  grpc: string;
  http: string;
}

export interface ServiceOptions {
  /** Test seam: a kubeconfig per server (e.g. for a fake API server). */
  kubeConfigFor?: PodDirectoryDeps['kubeConfigFor'];
  now?: () => number;
}

const STORE_PING_TIMEOUT_MS = 1000;
/** Drain marks outlive the drain deadline by this much, then expire (pod IPs get reused). */
const DRAIN_MARK_GRACE_MS = 3_600_000;

export class GatewayService {
  readonly metrics = new GatewayMetrics();
  private grpc?: GrpcListener;
  private ops?: OpsListener;
  private store?: Store;
  private registry?: SessionRegistry & { stop?: () => void };
  private pods?: PodDirectory;
  private drains?: DrainMarks;
  private storeAnswered = false;
  private shuttingDown = false;

  constructor(
    private readonly config: GatewayConfig,
    private readonly logger: Logger,
    private readonly options: ServiceOptions = {},
  ) {}

  async serve(): Promise<ListeningAddresses> {
    const c = this.config;
    const grpcAddr = parseListenAddress(c.listen.grpc);
    const httpAddr = parseListenAddress(c.listen.http);
    if (!grpcAddr || !httpAddr) throw new Error('listen addresses must be host:port');
    const now = this.options.now ?? Date.now;

    const store = (this.store = createStore(c.store, { logger: this.logger, onError: (op) => this.metrics.storeErrors.inc({ op }) }));
    if (store.kind === 'memory') this.logger.info({ store: 'memory' }, 'memory store: state is local to this replica (single-replica mode)');
    const registry = (this.registry = createSessionRegistry(store, {
      ttlMs: c.sessions.ttlSeconds * 1000,
      cache: c.store.kind === 'redis' ? { max: c.store.cacheSize, ttlMs: c.store.cacheTtlSeconds * 1000 } : { max: 0, ttlMs: 0 },
      logger: this.logger,
    }));
    const drainLifetime = c.sessions.drainDeadlineSeconds * 1000 + DRAIN_MARK_GRACE_MS;
    const drains = (this.drains = store instanceof RedisStore ? new RedisDrainMarks(store, drainLifetime, this.logger) : new MemoryDrainMarks(drainLifetime));
    const pods = (this.pods = new PodDirectory(c, {
      xxh: await loadXxh64(),
      drains,
      logger: this.logger,
      now,
      onWatchError: (server, kind) => this.metrics.kubernetesWatchErrors.inc({ server, kind }),
      ...(this.options.kubeConfigFor ? { kubeConfigFor: this.options.kubeConfigFor } : {}),
    }));
    registry.onEnded((b, reason) => this.metrics.sessionsEnded.inc({ server: b.server, reason }));
    this.metrics.registerLiveSessions(async () => {
      const rows = await Promise.all(c.servers.map(async (s) => [...(await registry.livePerPod(s.name))].map(([pod, sessions]) => ({ server: s.name, pod, sessions }))));
      return rows.flat();
    });
    const pinning = new SessionPinning({
      registry,
      pods,
      now,
      whenUnavailable: c.store.kind === 'redis' ? c.store.whenUnavailable : 'fail-closed',
      events: {
        created: (server, kind) => this.metrics.sessionsCreated.inc({ server, kind }),
        // Ends are counted once, by the registry's onEnded above.
        ended: () => undefined,
        corrected: (server) => this.metrics.pinningCorrections.inc({ server }),
        storeUnavailable: (op, policy) => {
          this.metrics.storeFallbacks.inc({ op, policy });
          this.logger.warn({ op, policy }, 'session store unavailable; applying whenUnavailable');
        },
      },
    });

    const deps = { gateway: new Gateway(c, { pinning }), metrics: this.metrics, logger: this.logger };
    this.grpc = new GrpcListener(deps);
    const admin = adminHandler({ pods, drains, registry, logger: this.logger, now, tokenSha256: adminTokenDigest(c.admin.tokenSha256, process.env.MCPGW_ADMIN_TOKEN) });
    this.ops = new OpsListener({ notReadyReasons: () => this.notReadyReasons() }, this.metrics.registry, admin);
    pods.start();
    await drains.start();
    const grpcPort = await this.grpc.listen(grpcAddr.host, grpcAddr.port);
    const httpPort = await this.ops.listen(httpAddr.host, httpAddr.port);
    this.grpc.setServing(true);
    const addresses = { grpc: joinHostPort(grpcAddr.host, grpcPort), http: joinHostPort(httpAddr.host, httpPort) };
    this.logger.info({ ...addresses, store: store.kind, servers: c.servers.map((s) => s.name) }, 'mcpgw listening');
    return addresses;
  }

  async notReadyReasons(): Promise<string[]> {
    if (this.shuttingDown) return ['shutting down'];
    if (!this.store || !this.pods) return ['starting'];
    const reasons = this.pods.unsynced().map((s) => `endpoints of server "${s}" not listed yet`);
    try {
      await withTimeout(this.store.ping(), STORE_PING_TIMEOUT_MS);
      this.storeAnswered = true;
    } catch (err) {
      // Start-up waits for the store; later outages only count when configured to (cached sessions still route).
      const counts = !this.storeAnswered || (this.config.store.kind === 'redis' && this.config.store.notReadyWhenUnavailable);
      if (counts) reasons.push(`${this.store.kind} store does not answer: ${(err as Error).message}`);
    }
    return reasons;
  }

  /** Readiness goes false at once; in-flight streams get the configured grace, then everything stops. */
  async close(): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.grpc?.setServing(false);
    this.logger.info({ graceSeconds: this.config.shutdown.graceSeconds }, 'shutting down: not ready, letting in-flight streams finish');
    await this.grpc?.close(this.config.shutdown.graceSeconds * 1000);
    await this.ops?.close();
    await this.pods?.stop();
    await this.drains?.stop();
    this.registry?.stop?.();
    await this.store?.close();
    this.logger.info('mcpgw stopped');
  }
}

function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e: unknown) => (clearTimeout(t), reject(e)),
    );
  });
}
