// The pods of every configured server: one endpoint source and one ServerPods each, started in
// start() and stopped in stop().
import type { GatewayConfig, ServerConfig } from '../../config/index.js';
import { KubernetesEndpoints, StaticEndpoints, loadKubeConfig, type EndpointSource, type KubernetesEndpointsOptions, type WatchedKind } from '../../endpoints/index.js';
import type { Logger } from '../../telemetry/index.js';
import type { Xxh64 } from '../hash/index.js';
import type { DrainMarks } from './drains.js';
import { ServerPods, type PodState } from './serverPods.js';

export interface PodDirectoryDeps {
  xxh: Xxh64;
  drains: DrainMarks;
  logger: Logger;
  now?: () => number;
  onWatchError?: (server: string, kind: WatchedKind) => void;
  /** Pods for which no affinity key is right under every endpoint set of the convergence window. */
  onUnconvergedKeys?: (server: string, pods: number) => void;
  /** Endpoint sources for Kubernetes servers; tests inject a kubeconfig for a fake API server. */
  kubeConfigFor?: (server: ServerConfig) => KubernetesEndpointsOptions['kubeConfig'];
}

interface Entry {
  pods: ServerPods;
  source?: EndpointSource;
  unsubscribe?: () => void;
}

export class PodDirectory {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;

  constructor(config: GatewayConfig, private readonly deps: PodDirectoryDeps) {
    this.now = deps.now ?? Date.now;
    for (const s of config.servers) {
      const a = s.affinity;
      const pods = new ServerPods(
        {
          mode: a.mode,
          lb: { policy: a.loadBalancer, minimumRingSize: a.minimumRingSize, tableSize: a.tableSize },
          drainDeadlineMs: config.sessions.drainDeadlineSeconds * 1000,
          convergenceMs: a.convergenceSeconds * 1000,
          onKeysBuilt: (unconverged) => {
            if (!unconverged.length) return;
            deps.onUnconvergedKeys?.(s.name, unconverged.length);
            deps.logger.warn({ server: s.name, pods: unconverged }, 'no affinity key is right under every endpoint set of the convergence window; using keys right under the current set');
          },
        },
        deps.xxh,
        () => deps.drains.current(),
      );
      this.entries.set(s.name, { pods, source: this.sourceFor(s) });
    }
  }

  private sourceFor(s: ServerConfig): EndpointSource | undefined {
    const e = s.endpoints;
    if (!e) return undefined;
    if ('static' in e) return new StaticEndpoints(e.static);
    const k = e.kubernetes;
    return new KubernetesEndpoints({
      kubeConfig: this.deps.kubeConfigFor?.(s) ?? loadKubeConfig(k.kubeconfig ? { kubeconfig: k.kubeconfig } : {}),
      namespace: k.namespace,
      service: k.service,
      ...(k.port !== undefined ? { port: k.port } : {}),
      resyncSeconds: k.resyncSeconds,
      logger: this.deps.logger.child({ server: s.name }),
      onWatchError: (kind) => this.deps.onWatchError?.(s.name, kind),
    });
  }

  /** Starts every source without waiting for Kubernetes: readiness reports servers not yet synced. */
  start(): void {
    for (const [name, entry] of this.entries) {
      const source = entry.source;
      if (!source) continue;
      const apply = () => entry.pods.update(source.snapshot(), this.now());
      entry.unsubscribe = source.onChange(apply);
      source.start().then(apply, (err: Error) => this.deps.logger.error({ server: name, err: err.message }, 'endpoint source failed to start'));
      apply();
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.entries.values()].map(async (e) => {
      e.unsubscribe?.();
      await e.source?.stop();
    }));
  }

  pods(server: string): ServerPods | undefined {
    return this.entries.get(server)?.pods;
  }

  /** Servers with an endpoint source that has not listed its endpoints yet. */
  unsynced(): string[] {
    return [...this.entries].filter(([, e]) => e.source && !e.pods.knowsEndpoints).map(([name]) => name);
  }

  all(): Array<{ server: string; pods: PodState[] }> {
    const now = this.now();
    return [...this.entries].map(([server, e]) => ({ server, pods: e.pods.pods(now) }));
  }
}
