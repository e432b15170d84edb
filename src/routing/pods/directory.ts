// The pods of every configured server: one endpoint source and one ServerPods each, started in
// start() and stopped in stop().
import type { GatewayConfig, ServerConfig } from '../../config/index.js';
import { KubernetesEndpoints, StaticEndpoints, loadKubeConfig, type EndpointSource, type WatchedKind } from '../../endpoints/index.js';
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
  kubeConfigFor?: (server: ServerConfig) => ReturnType<typeof loadKubeConfig>;
}

interface Entry {
  pods: ServerPods;
  source?: EndpointSource;
  unsubscribe?: () => void;
  /** What the entry was built from; an entry whose inputs are unchanged survives update(). */
  inputs: string;
  /** Only servers present at start hold readiness back; one added live must not unready every replica. */
  gatesReadiness: boolean;
}

export class PodDirectory {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;
  private started = false;
  private readonly drainDeadlineMs: number;

  constructor(config: GatewayConfig, private readonly deps: PodDirectoryDeps) {
    this.now = deps.now ?? Date.now;
    this.drainDeadlineMs = config.sessions.drainDeadlineSeconds * 1000;
    for (const s of config.servers) this.entries.set(s.name, this.entryFor(s, true));
  }

  private entryFor(s: ServerConfig, gatesReadiness: boolean): Entry {
    const a = s.affinity;
    const deps = this.deps;
    const pods = new ServerPods(
      {
        mode: a.mode,
        lb: { policy: a.loadBalancer, minimumRingSize: a.minimumRingSize, tableSize: a.tableSize },
        drainDeadlineMs: this.drainDeadlineMs,
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
    const source = this.sourceFor(s);
    return { pods, ...(source ? { source } : {}), inputs: inputsOf(s), gatesReadiness };
  }

  /**
   * Follows a new configuration: servers whose endpoints and affinity are unchanged keep their entry
   * (watch, pods, earlier endpoint sets); new or changed ones get a fresh one, removed ones are stopped.
   */
  async update(config: GatewayConfig): Promise<void> {
    const stale: Entry[] = [];
    const wanted = new Map(config.servers.map((s) => [s.name, s]));
    for (const [name, entry] of this.entries) {
      const s = wanted.get(name);
      if (s && inputsOf(s) === entry.inputs) continue;
      stale.push(entry);
      this.entries.delete(name);
    }
    for (const s of config.servers) {
      if (this.entries.has(s.name)) continue;
      const entry = this.entryFor(s, false);
      this.entries.set(s.name, entry);
      if (this.started) this.startEntry(s.name, entry);
    }
    await Promise.all(stale.map((e) => stopEntry(e)));
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
    this.started = true;
    for (const [name, entry] of this.entries) this.startEntry(name, entry);
  }

  private startEntry(name: string, entry: Entry): void {
    const source = entry.source;
    if (!source) return;
    const apply = () => entry.pods.update(source.snapshot(), this.now());
    entry.unsubscribe = source.onChange(apply);
    source.start().then(apply, (err: Error) => this.deps.logger.error({ server: name, err: err.message }, 'endpoint source failed to start'));
    apply();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.entries.values()].map(stopEntry));
  }

  pods(server: string): ServerPods | undefined {
    return this.entries.get(server)?.pods;
  }

  /** Servers (of the start-up configuration) with an endpoint source that has not listed its endpoints yet. */
  unsynced(): string[] {
    return [...this.entries].filter(([, e]) => e.gatesReadiness && e.source && !e.pods.knowsEndpoints).map(([name]) => name);
  }

  all(): Array<{ server: string; pods: PodState[] }> {
    const now = this.now();
    return [...this.entries].map(([server, e]) => ({ server, pods: e.pods.pods(now) }));
  }
}

async function stopEntry(e: Entry): Promise<void> {
  e.unsubscribe?.();
  await e.source?.stop();
}

function inputsOf(s: ServerConfig): string {
  return JSON.stringify([s.endpoints ?? null, s.affinity]);
}
