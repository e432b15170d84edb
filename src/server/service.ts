// The running mcpgw: owns the gRPC and operations listeners, the store, the session registry and the
// endpoint watches; starts them in serve(), stops them in close().
import type { KubeConfig } from '@kubernetes/client-node';
import { parseListenAddress, type ConfigResult, type GatewayConfig } from '../config/index.js';
import { SessionPinning } from '../core/index.js';
import { ConfigMetrics, LiveConfig, apiServerStore, createMcpServerWatch, type ConfigCatalog, type McpServerWatch } from '../liveconfig/index.js';
import { loadKubeConfig } from '../endpoints/index.js';
import { MemoryDrainMarks, PodDirectory, RedisDrainMarks, loadXxh64, type DrainMarks, type PodDirectoryDeps } from '../routing/index.js';
import { HttpSessionHandshake, createRecoveryLock, createSessionRegistry, type SessionRegistry } from '../sessions/index.js';
import { RedisStore, createStore, type Store } from '../store/index.js';
import { LimitMetrics } from '../limits/index.js';
import { AuditLog, DecisionObserver, GatewayMetrics, SecretsGuard, startTracing, type DecisionTracing, type Logger } from '../telemetry/index.js';
import { CONTROL_SERVICE, ControlService, adminTokenDigest, controlGrpcService, controlHttpHandler, controlMethods, loadControlProtos } from '../control/index.js';
import { startManagement, type ManagementEndpoint } from '../management/index.js';
import { registrarFor, withDeploy } from '../provision/index.js';
import { adminHandler } from './admin.js';
import { GrpcListener, grpcMessageLimit } from './grpcServer.js';
import { allowedClientsInterceptor, grpcTlsCredentials, peerNames } from './grpcTls.js';
import { OpsListener } from './httpServer.js';
import { Runtimes, type Runtime } from './runtime.js';

export interface ListeningAddresses {
  grpc: string;
  http: string;
}

export interface ServiceOptions {
  /** Test seam: a kubeconfig per server (e.g. for a fake API server). */
  kubeConfigFor?: PodDirectoryDeps['kubeConfigFor'];
  now?: () => number;
  /** Test seam: how JWKS URLs are fetched. */
  fetch?: typeof fetch;
  /** The guard the operational logger scrubs with; injected credentials are registered in it. */
  secrets?: SecretsGuard;
  /** Test seam: where audit lines go instead of config.audit.destination. */
  auditStream?: NodeJS.WritableStream;
  /** The config file's path, as the file source's origin (docs/control-plane.md). */
  configPath?: string;
  /** Test seam: the kubeconfig MCPServer resources are watched with (a fake API server). */
  mcpServersKubeConfig?: Awaited<ReturnType<typeof loadKubeConfig>>;
  /** Test seam: a catalog the control API uses instead of the live configuration. */
  catalog?: ConfigCatalog;
  /** Test seam: the Kubernetes API provisioning deploys servers through. */
  provisioningKubeConfig?: () => KubeConfig;
  /** Reported as the management endpoint's serverInfo.version. */
  version?: string;
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
  private runtimes?: Runtimes;
  /** What decisions are made with now; replaced whole by a live configuration change. */
  private runtime?: Runtime;
  private live?: LiveConfig;
  private mcpServers?: Promise<McpServerWatch | undefined>;
  /** False from start until the enabled MCPServer source has listed its resources. */
  private mcpServersListed = true;
  private audit?: AuditLog;
  private tracing?: DecisionTracing;
  private management?: ManagementEndpoint;
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
    // Unreadable certificates stop start-up before anything else is started.
    const tls = c.listen.grpcTls;
    const grpcCredentials = tls ? await grpcTlsCredentials(tls) : undefined;

    const store = (this.store = createStore(c.store, { logger: this.logger, onError: (op) => this.metrics.storeErrors.inc({ op }) }));
    this.awaitFirstStoreAnswer(store);
    if (store.kind === 'memory') this.logger.info({ store: 'memory' }, 'memory store: state is local to this replica (single-replica mode)');
    const registry = (this.registry = createSessionRegistry(store, {
      ttlMs: c.sessions.ttlSeconds * 1000,
      cache: c.store.kind === 'redis' ? { max: c.store.cacheSize, ttlMs: c.store.cacheTtlSeconds * 1000 } : { max: 0, ttlMs: 0 },
      ...(c.store.kind === 'redis' ? { buckets: c.store.sessionBuckets } : {}),
      maxSessions: c.sessions.maxInMemory,
      logger: this.logger,
      onLost: (n) => this.metrics.sessionBindingsLost.inc(n),
    }));
    const drainLifetime = c.sessions.drainDeadlineSeconds * 1000 + DRAIN_MARK_GRACE_MS;
    const drains = (this.drains = store instanceof RedisStore ? new RedisDrainMarks(store, drainLifetime, this.logger) : new MemoryDrainMarks(drainLifetime));
    const pods = (this.pods = new PodDirectory(c, {
      xxh: await loadXxh64(),
      drains,
      logger: this.logger,
      now,
      onWatchError: (server, kind) => this.metrics.kubernetesWatchErrors.inc({ server, kind }),
      onUnconvergedKeys: (server, n) => this.metrics.affinityKeysUnconverged.inc({ server }, n),
      ...(this.options.kubeConfigFor ? { kubeConfigFor: this.options.kubeConfigFor } : {}),
    }));
    registry.onEnded((b, reason) => {
      this.metrics.sessionsEnded.inc({ server: b.server, reason });
      this.audit?.sessionEnded({ sessionId: b.id, server: b.server, pod: b.pod, kind: b.kind, reason, durationMs: now() - b.createdAt, ...(b.principal ? { principal: b.principal } : {}) });
      void this.runtime?.limiter?.sessionEnded({ server: b.server, id: b.id });
    });
    this.metrics.registerLiveSessions(async () => {
      const rows = await Promise.all((this.live?.config ?? c).servers.map(async (s) => [...(await registry.livePerPod(s.name))].map(([pod, sessions]) => ({ server: s.name, pod, sessions }))));
      return rows.flat();
    });
    const pinning = new SessionPinning({
      registry,
      pods,
      now,
      // Always at hand: a server may switch to recovery.mode reinitialize without a restart.
      handshake: new HttpSessionHandshake(),
      recoveryLock: createRecoveryLock(store),
      whenUnavailable: c.store.kind === 'redis' ? c.store.whenUnavailable : 'fail-closed',
      events: {
        created: (b) => {
          this.metrics.sessionsCreated.inc({ server: b.server, kind: b.kind });
          this.audit?.sessionStarted({ sessionId: b.id, server: b.server, pod: b.pod, kind: b.kind, ...(b.principal ? { principal: b.principal } : {}) });
        },
        // Ends are counted once, by the registry's onEnded above.
        ended: () => undefined,
        corrected: (server) => this.metrics.pinningCorrections.inc({ server }),
        recovered: (server, trigger, result, seconds, detail) => {
          this.metrics.sessionRecoveries.inc({ server, trigger, result });
          if (seconds !== undefined) this.metrics.recoveryHandshakeSeconds.observe({ server }, seconds);
          if (result === 'ok') this.logger.info({ server, trigger, seconds }, 'session re-established on another pod');
          else this.logger.warn({ server, trigger, result, ...(detail ? { detail } : {}) }, 'session not recovered; the client gets 404');
        },
        misrouted: (server, reason) => {
          this.metrics.sessionMisroutes.inc({ server, reason });
          this.logger.debug({ server, reason }, 'session request answered by another pod; session kept');
        },
        storeUnavailable: (op, policy) => {
          this.metrics.storeFallbacks.inc({ op, policy });
          // Per request: the store's outage log warns once a minute, the metric counts each.
          this.logger.debug({ op, policy }, 'session store unavailable; applying whenUnavailable');
        },
      },
    });

    const runtimes = (this.runtimes = new Runtimes({
      store,
      pinning,
      logger: this.logger,
      now,
      limitMetrics: new LimitMetrics(this.metrics.registry),
      ...(this.options.secrets ? { secrets: this.options.secrets } : {}),
      ...(this.options.fetch ? { fetch: this.options.fetch } : {}),
    }));
    const live = (this.live = new LiveConfig(c, this.options.configPath ?? '(inline)', {
      logger: this.logger,
      metrics: new ConfigMetrics(this.metrics.registry),
      apiStore: apiServerStore(store, this.logger),
      activate: (config, version) => this.activate(config, version),
    }));
    this.runtime = await runtimes.build(c, live.version());
    this.audit = new AuditLog({
      destination: this.options.auditStream ? { stream: this.options.auditStream } : c.audit.destination === 'stdout' ? 'stdout' : { file: c.audit.destination },
      arguments: c.audit.arguments === 'redact' ? { redact: c.audit.redact } : c.audit.arguments,
      ...((c.audit.sessionIdSalt ?? process.env.MCPGW_AUDIT_SALT) ? { salt: c.audit.sessionIdSalt ?? process.env.MCPGW_AUDIT_SALT } : {}),
      ...(process.env.HOSTNAME ? { instance: process.env.HOSTNAME } : {}),
      ...(this.options.secrets ? { secrets: this.options.secrets } : {}),
      onError: (err) => this.logger.error({ err: err.message }, 'audit log write failed'),
    });
    this.tracing = await startTracing({ ...(c.tracing.otlpEndpoint ? { otlpEndpoint: c.tracing.otlpEndpoint } : {}), serviceName: c.tracing.serviceName, sampleRatio: c.tracing.sampleRatio });
    const observer = new DecisionObserver({ metrics: this.metrics, logger: this.logger, audit: this.audit, tracing: this.tracing, auditHook: c.extProc ? 'ext_proc' : 'ext_authz', configVersion: () => live.version() });
    const service = this;
    // Read once per ext_authz check and once per ext_proc stream: a request is decided by one version.
    const deps = { get gateway() { return (service.runtime as Runtime).gateway; }, metrics: this.metrics, logger: this.logger, observer };
    this.metrics.registerReadiness(async () => (await this.notReadyReasons()).length === 0);
    // The control API (gRPC and HTTP /v1) and /admin are views of one ControlService.
    const control = new ControlService({ catalog: () => this.catalog, pods, drains, registry, logger: this.logger, now, limiter: () => service.runtime?.limiter });
    // Servers with a `deploy` block (ApplyServer, register_server) go through the provisioning registrar.
    const registrar = await registrarFor(c, control, this.logger, this.options.provisioningKubeConfig);
    const methods = withDeploy(controlMethods(control), registrar);
    const tokenSha256 = adminTokenDigest(c.admin.tokenSha256, process.env.MCPGW_ADMIN_TOKEN);
    const adminCredentials = { ...(tokenSha256 ? { tokenSha256 } : {}), identities: c.admin.identities ?? [] };
    this.grpc = new GrpcListener(deps, {
      maxMessageBytes: grpcMessageLimit(c.requests.maxBodyBytes),
      ...(tls?.allowedClients ? { interceptors: [allowedClientsInterceptor(tls.allowedClients, this.logger, [CONTROL_SERVICE])] } : {}),
      services: [{ definition: loadControlProtos().service, implementation: controlGrpcService({ methods, credentials: adminCredentials, peerNames, logger: this.logger }) }],
    });

    const admin = adminHandler({ control, logger: this.logger, ...(tokenSha256 ? { tokenSha256 } : {}) });
    const v1 = controlHttpHandler({ methods, credentials: { ...(tokenSha256 ? { tokenSha256 } : {}) }, logger: this.logger });
    const management = c.management.enabled
      ? (this.management = await startManagement({ config: c, control, methods, registrar, audit: this.audit, logger: this.logger, now, version: this.options.version ?? '0', ...(tokenSha256 ? { adminToken: tokenSha256 } : {}), ...(this.options.fetch ? { fetch: this.options.fetch } : {}) }))
      : undefined;
    this.ops = new OpsListener({ notReadyReasons: () => this.notReadyReasons() }, this.metrics.registry, (req, res, url) => v1(req, res, url) || admin(req, res, url) || (management?.handler(req, res, url) ?? false));
    pods.start();
    await drains.start();
    live.start();
    this.watchMcpServers(c, live);
    const grpcPort = await this.grpc.listen(grpcAddr.host, grpcAddr.port, grpcCredentials);
    const httpPort = await this.ops.listen(httpAddr.host, httpAddr.port);
    this.grpc.setServing(true);
    const addresses = { grpc: joinHostPort(grpcAddr.host, grpcPort), http: joinHostPort(httpAddr.host, httpPort) };
    this.logger.info({ ...addresses, grpcTls: tls !== undefined, store: store.kind, servers: live.config.servers.map((s) => s.name), configVersion: live.version() }, 'mcpgw listening');
    return addresses;
  }

  /** MCPServer resources, when enabled: listed in the background; readiness waits for the first list. */
  private watchMcpServers(c: GatewayConfig, live: LiveConfig): void {
    const k = c.kubernetes.mcpServers;
    if (!k.enabled) return;
    this.mcpServersListed = false;
    this.mcpServers = (async () => {
      const watch = await createMcpServerWatch({
        kubeConfig: this.options.mcpServersKubeConfig ?? (await loadKubeConfig(k.kubeconfig ? { kubeconfig: k.kubeconfig } : {})),
        namespaces: k.namespaces,
        resyncSeconds: k.resyncSeconds,
        logger: this.logger.child({ source: 'kubernetes' }),
        target: live,
        onError: (err) => this.metrics.kubernetesWatchErrors.inc({ server: '', kind: err.kind }),
      });
      void watch.start().then(
        () => void (this.mcpServersListed = true),
        (err: Error) => this.logger.error({ err: err.message }, 'MCPServer resources cannot be watched (is the CRD installed and the RBAC applied?)'),
      );
      return watch;
    })().catch((err: Error) => {
      this.logger.error({ err: err.message }, 'MCPServer resources cannot be watched: no Kubernetes credentials');
      return undefined;
    });
  }

  /** The running configuration: what the control API lists and changes. Undefined before serve(). */
  get catalog(): ConfigCatalog | undefined {
    return this.options.catalog ?? this.live;
  }

  /** Live reload of the file source (a watch event or SIGHUP). */
  async reloadFile(read: ConfigResult): Promise<'applied' | 'rejected' | 'unchanged'> {
    if (!this.live) return 'rejected';
    return this.live.reloadFile(read);
  }

  /**
   * Puts a validated configuration into service: the next runtime is built beside the running one,
   * endpoint watches follow (unchanged servers keep theirs), then one assignment swaps them. Requests
   * already deciding keep the runtime they started with. Sessions of removed servers are ended.
   */
  private async activate(config: GatewayConfig, version: string): Promise<void> {
    const previous = this.runtime;
    if (!this.runtimes || !previous || this.shuttingDown) throw new Error('not serving');
    const next = await this.runtimes.build(config, version, previous);
    await this.pods?.update(config);
    this.runtime = next;
    await this.runtimes.retire(previous, next);
    const kept = new Set(config.servers.map((s) => s.name));
    for (const s of previous.config.servers) if (!kept.has(s.name)) void this.endSessionsOf(s.name);
  }

  private async endSessionsOf(server: string): Promise<void> {
    const registry = this.registry;
    if (!registry) return;
    let ended = 0;
    try {
      let cursor: string | undefined;
      do {
        const page = await registry.list({ server, limit: 500, ...(cursor ? { cursor } : {}) });
        for (const b of page.items) if (await registry.delete(server, b.id)) ended++;
        cursor = page.nextCursor;
      } while (cursor);
      this.logger.info({ server, sessions: ended }, 'server removed from the configuration; its sessions ended');
    } catch (err) {
      this.logger.warn({ server, sessions: ended, err: (err as Error).message }, 'server removed; not every session could be ended (the rest expire, and get 404 meanwhile)');
    }
  }

  /** Start-up readiness waits for the store's first answer, whether or not anything probes /readyz. */
  private awaitFirstStoreAnswer(store: Store): void {
    const attempt = () => {
      if (this.shuttingDown || this.storeAnswered) return;
      store.ping().then(
        () => void (this.storeAnswered = true),
        () => setTimeout(attempt, 500).unref(),
      );
    };
    attempt();
  }

  async notReadyReasons(): Promise<string[]> {
    if (this.shuttingDown) return ['shutting down'];
    if (!this.store || !this.pods) return ['starting'];
    const reasons = this.pods.unsynced().map((s) => `endpoints of server "${s}" not listed yet`);
    if (!this.mcpServersListed) reasons.push('MCPServer resources not listed yet');
    if (this.live && !this.live.synced) reasons.push('API-applied servers not read from the store yet');
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
    await this.management?.stop();
    this.live?.stop();
    await (await this.mcpServers)?.stop();
    await this.runtimes?.stop(this.runtime);
    await this.tracing?.shutdown();
    await this.audit?.close();
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
