// The running mcpgw: owns the gRPC and operations listeners and the store; starts in serve(),
// stops in close().
import { parseListenAddress, type GatewayConfig } from '../config/index.js';
import { Gateway } from '../core/index.js';
import { createStore, type Store } from '../store/index.js';
import { GatewayMetrics, type Logger } from '../telemetry/index.js';
import { GrpcListener } from './grpcServer.js';
import { OpsListener } from './httpServer.js';

export interface ListeningAddresses {
  grpc: string;
  http: string;
}

const STORE_PING_TIMEOUT_MS = 1000;

export class GatewayService {
  readonly metrics = new GatewayMetrics();
  private grpc?: GrpcListener;
  private ops?: OpsListener;
  private store?: Store;
  private shuttingDown = false;

  constructor(
    private readonly config: GatewayConfig,
    private readonly logger: Logger,
  ) {}

  async serve(): Promise<ListeningAddresses> {
    const grpcAddr = parseListenAddress(this.config.listen.grpc);
    const httpAddr = parseListenAddress(this.config.listen.http);
    if (!grpcAddr || !httpAddr) throw new Error('listen addresses must be host:port');
    this.store = createStore(this.config.store);
    if (this.store.kind === 'memory') this.logger.info({ store: 'memory' }, 'memory store: state is local to this replica (single-replica mode)');
    const deps = { gateway: new Gateway(this.config), metrics: this.metrics, logger: this.logger };
    this.grpc = new GrpcListener(deps);
    this.ops = new OpsListener({ notReadyReasons: () => this.notReadyReasons() }, this.metrics.registry);
    const grpcPort = await this.grpc.listen(grpcAddr.host, grpcAddr.port);
    const httpPort = await this.ops.listen(httpAddr.host, httpAddr.port);
    this.grpc.setServing(true);
    const addresses = { grpc: joinHostPort(grpcAddr.host, grpcPort), http: joinHostPort(httpAddr.host, httpPort) };
    this.logger.info({ ...addresses, store: this.store.kind, servers: this.config.servers.map((s) => s.name) }, 'mcpgw listening');
    return addresses;
  }

  async notReadyReasons(): Promise<string[]> {
    if (this.shuttingDown) return ['shutting down'];
    if (!this.store) return ['starting'];
    try {
      await withTimeout(this.store.ping(), STORE_PING_TIMEOUT_MS);
      return [];
    } catch (err) {
      return [`${this.store.kind} store does not answer: ${(err as Error).message}`];
    }
  }

  /** Readiness goes false at once; in-flight streams get the configured grace, then everything stops. */
  async close(): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.grpc?.setServing(false);
    this.logger.info({ graceSeconds: this.config.shutdown.graceSeconds }, 'shutting down: not ready, letting in-flight streams finish');
    await this.grpc?.close(this.config.shutdown.graceSeconds * 1000);
    await this.ops?.close();
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
