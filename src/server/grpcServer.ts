// One gRPC port for ext_authz Check, ext_proc Process and grpc.health.v1.Health.
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { authorizationService } from '../authz/index.js';
import type { Gateway } from '../core/index.js';
import { loadEnvoyServices } from '../envoy/index.js';
import { externalProcessorService } from '../extproc/index.js';
import type { DecisionObserver, GatewayMetrics, Logger } from '../telemetry/index.js';

export const HEALTH_SERVICES = ['', 'envoy.service.auth.v3.Authorization', 'envoy.service.ext_proc.v3.ExternalProcessor'];

export interface GrpcDeps {
  gateway: Gateway;
  metrics: GatewayMetrics;
  logger: Logger;
  observer: DecisionObserver;
}

export class GrpcListener {
  private readonly server: grpc.Server;
  readonly health = new HealthImplementation(Object.fromEntries(HEALTH_SERVICES.map((s) => [s, 'NOT_SERVING' as const])));

  constructor(deps: GrpcDeps) {
    const services = loadEnvoyServices();
    // Envoy keeps HTTP/2 connections to ext_authz / ext_proc open for a long time: keepalive pings
    // notice dead peers, and no max connection age interrupts streams.
    this.server = new grpc.Server({ 'grpc.keepalive_time_ms': 30_000, 'grpc.keepalive_timeout_ms': 10_000, 'grpc.keepalive_permit_without_calls': 1 });
    this.server.addService(services.authorization.service, authorizationService(deps));
    this.server.addService(services.externalProcessor.service, externalProcessorService(deps));
    this.health.addToServer(this.server);
  }

  /** Binds and starts serving; resolves with the bound port. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.bindAsync(`${host.includes(':') ? `[${host}]` : host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) =>
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
