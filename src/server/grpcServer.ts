// One gRPC port for ext_authz Check, ext_proc Process, grpc.health.v1.Health and mcpgw.v1.Control.
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { authorizationService } from '../authz/index.js';
import type { Gateway } from '../core/index.js';
import { envoyServiceDefinitions } from '../envoy/index.js';
import { externalProcessorService } from '../extproc/index.js';
import type { DecisionObserver, GatewayMetrics, Logger } from '../telemetry/index.js';

export const HEALTH_SERVICES = ['', 'envoy.service.auth.v3.Authorization', 'envoy.service.ext_proc.v3.ExternalProcessor'];

export interface GrpcDeps {
  gateway: Gateway;
  metrics: GatewayMetrics;
  logger: Logger;
  observer: DecisionObserver;
}

/** grpc-js's own receive limit, kept as the floor: buffered response bodies (list results) arrive too. */
const GRPC_DEFAULT_MESSAGE_BYTES = 4 * 1024 * 1024;
/** Room for headers, attributes and metadata beside the body in one CheckRequest / ProcessingRequest. */
const MESSAGE_HEADROOM_BYTES = 1024 * 1024;

/**
 * The largest gRPC message mcpgw takes or sends, from `requests.maxBodyBytes`: a body up to twice the
 * cap still arrives and gets mcpgw's 413 with a JSON-RPC error, rather than a gRPC error Envoy turns
 * into 403 / 500 (its buffer limits should equal the cap, docs/deployment.md).
 */
export function grpcMessageLimit(maxBodyBytes: number): number {
  return Math.max(GRPC_DEFAULT_MESSAGE_BYTES, 2 * maxBodyBytes + MESSAGE_HEADROOM_BYTES);
}

export interface GrpcListenerOptions {
  maxMessageBytes: number;
  /** Run before every call (the TLS client allow-list). */
  interceptors?: grpc.ServerInterceptor[];
  /** More services on the same port (the control API). */
  services?: Array<{ definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation }>;
}

export class GrpcListener {
  private readonly server: grpc.Server;
  readonly health = new HealthImplementation(Object.fromEntries(HEALTH_SERVICES.map((s) => [s, 'NOT_SERVING' as const])));

  constructor(deps: GrpcDeps, options: GrpcListenerOptions) {
    const services = envoyServiceDefinitions();
    // Envoy keeps HTTP/2 connections to ext_authz / ext_proc open for a long time: keepalive pings
    // notice dead peers, and no max connection age interrupts streams.
    this.server = new grpc.Server({
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.max_receive_message_length': options.maxMessageBytes,
      'grpc.max_send_message_length': options.maxMessageBytes,
      ...(options.interceptors?.length ? { interceptors: options.interceptors } : {}),
    });
    this.server.addService(services.authorization, authorizationService(deps));
    this.server.addService(services.externalProcessor, externalProcessorService(deps));
    for (const extra of options.services ?? []) this.server.addService(extra.definition, extra.implementation);
    this.health.addToServer(this.server);
  }

  /** Binds and starts serving; resolves with the bound port. */
  listen(host: string, port: number, credentials = grpc.ServerCredentials.createInsecure()): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.bindAsync(`${host.includes(':') ? `[${host}]` : host}:${port}`, credentials, (err, bound) =>
        err ? reject(err) : resolve(bound),
      );
    });
  }

  setServing(serving: boolean): void {
    for (const s of HEALTH_SERVICES) this.health.setStatus(s, serving ? 'SERVING' : 'NOT_SERVING');
  }

  /** Lets in-flight calls finish for up to `graceMs`, then cuts the rest. */
  close(graceMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
