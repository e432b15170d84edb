// The running configuration and every change to it. Changes from the three sources are queued and
// handled one at a time: each is composed with the current state of the other sources, validated
// whole, handed to `activate` (the runtime swap), and only then becomes the current state. A refused
// change leaves everything as it was.
import { problemLine, type ConfigResult, type GatewayConfig } from '../config/index.js';
import type { Logger } from '../telemetry/index.js';
import type { ApiServerStore } from './apiStore.js';
import type { ConfigMetrics } from './metrics.js';
import { ConfigRejected, type ConfigCatalog, type ConfigProblem, type ConfigSourceKind, type ServerEntry } from './catalog.js';
import { compose, liveParts, type ChangedItem, type Composed, type DeclaredServer, type Sources } from './compose.js';

export interface LiveConfigDeps {
  logger: Logger;
  metrics: ConfigMetrics;
  apiStore: ApiServerStore;
  /** Puts a validated configuration into service; a rejection refuses the change. */
  activate(config: GatewayConfig, version: string): Promise<void>;
}

type Result = 'applied' | 'rejected' | 'unchanged';

export class LiveConfig implements ConfigCatalog {
  private sources: Sources;
  private current: Composed;
  /** Server name → the version in which its effective item last changed. */
  private readonly changedIn = new Map<string, string>();
  private queue: Promise<unknown> = Promise.resolve();
  private stopWatch?: () => void;
  private apiRead = false;
  private readonly appliedListeners = new Set<() => void>();
  /** The stored API servers as last read. */
  private lastRead = '';

  constructor(
    file: GatewayConfig,
    fileRef: string,
    private readonly deps: LiveConfigDeps,
  ) {
    this.sources = { file, fileRef, kubernetes: new Map(), api: new Map() };
    const first = compose(this.sources);
    if (!first.ok) throw new Error(`the start-up configuration does not validate: ${first.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
    this.current = first;
    for (const s of first.config.servers) this.changedIn.set(s.name, first.version);
    deps.metrics.running(first.version);
  }

  get config(): GatewayConfig {
    return this.current.config;
  }

  version(): string {
    return this.current.version;
  }

  servers(): ServerEntry[] {
    return this.current.config.servers.map((s) => this.entryOf(s.name)).filter((e): e is ServerEntry => e !== undefined);
  }

  server(name: string): ServerEntry | undefined {
    return this.entryOf(name);
  }

  originOf(name: string): ChangedItem | undefined {
    return this.current.origins.get(name);
  }

  /** Calls `listener` after every applied change. Returns the unsubscribe. */
  onApplied(listener: () => void): () => void {
    this.appliedListeners.add(listener);
    return () => void this.appliedListeners.delete(listener);
  }

  /**
   * Follows the API source: other replicas' applies arrive through the store. Does not wait for the
   * store (it may still be connecting); readiness waits for the first read instead.
   */
  start(): void {
    this.stopWatch = this.deps.apiStore.watch(() => void this.syncApi());
    void this.syncApi();
  }

  /** The API-applied servers have been read at least once (a replica serves the whole configuration). */
  get synced(): boolean {
    return this.apiRead;
  }

  stop(): void {
    this.stopWatch?.();
  }

  async applyServer(spec: unknown): Promise<ServerEntry> {
    const name = nameOf(spec);
    return this.enqueue(async () => {
      const api = new Map(this.sources.api).set(name, { name, item: spec });
      const item: ChangedItem = { source: 'api', ref: name };
      const checked = compose({ ...this.sources, api }, item);
      if (!checked.ok) {
        this.refused('api', item, checked.problems);
        throw new ConfigRejected(checked.problems);
      }
      await this.deps.apiStore.put(name, spec);
      await this.change({ ...this.sources, api }, item);
      return this.entryOf(name) as ServerEntry;
    });
  }

  async deleteServer(name: string): Promise<boolean> {
    return this.enqueue(async () => {
      if (!this.sources.api.has(name)) {
        const origin = this.current.origins.get(name);
        if (origin) throw new ConfigRejected([{ path: 'name', message: `server "${name}" comes from ${origin.source} ${origin.ref}; remove it there` }]);
        return false;
      }
      const api = new Map(this.sources.api);
      api.delete(name);
      const item: ChangedItem = { source: 'api', ref: name };
      const checked = compose({ ...this.sources, api });
      if (!checked.ok) {
        this.refused('api', item, checked.problems);
        throw new ConfigRejected(checked.problems);
      }
      await this.deps.apiStore.delete(name);
      await this.change({ ...this.sources, api }, item);
      return true;
    });
  }

  /** A new read of the config file (a watch event or SIGHUP): applied, or refused with every problem logged. */
  async reloadFile(read: ConfigResult): Promise<Result> {
    return this.enqueue(async () => {
      const item: ChangedItem = { source: 'file', ref: this.sources.fileRef };
      if (!read.ok) {
        this.refused('file', item, read.problems.map((line) => ({ path: '', message: line })));
        return 'rejected';
      }
      const { config, ignored } = liveParts(this.sources.file, read.config);
      if (ignored.length) this.deps.logger.warn({ settings: ignored }, 'config file: these settings only change on restart; keeping the running values');
      const r = await this.change({ ...this.sources, file: config }, item);
      return r.ok ? r.result : 'rejected';
    });
  }

  /**
   * An MCPServer appeared, changed (`server`) or went away (undefined). Resolves with the outcome for
   * its status: ok, or the problems that kept it (and its previous version, if any, keeps serving).
   */
  async setKubernetes(ref: string, server: DeclaredServer | undefined): Promise<{ ok: true } | { ok: false; problems: ConfigProblem[] }> {
    return this.enqueue(async () => {
      const item: ChangedItem = { source: 'kubernetes', ref };
      const kubernetes = new Map(this.sources.kubernetes);
      if (server) {
        const twin = [...kubernetes].find(([other, d]) => other !== ref && d.name === server.name);
        if (twin) {
          const problems = [{ path: 'metadata.name', message: `server name "${server.name}" is already declared by MCPServer ${twin[0]}` }];
          this.refused('kubernetes', item, problems);
          return { ok: false as const, problems };
        }
        kubernetes.set(ref, server);
      } else if (!kubernetes.delete(ref)) {
        return { ok: true as const };
      }
      const r = await this.change({ ...this.sources, kubernetes }, item);
      return r.ok ? { ok: true as const } : { ok: false as const, problems: r.problems };
    });
  }

  /** Re-reads the API source; a set another replica stored that does not validate here is logged and left out. */
  private async syncApi(): Promise<void> {
    let stored: Map<string, unknown>;
    try {
      stored = await this.deps.apiStore.load();
    } catch (err) {
      // Before the first read the store is usually still connecting: the watch's resync reads again.
      if (this.apiRead) this.deps.logger.warn({ err: (err as Error).message }, 'API-applied servers not read; keeping the running ones');
      return;
    }
    await this.enqueue(async () => {
      const all = new Map([...stored].map(([name, item]) => [name, { name, item }]));
      // Compared with what was last read, so a stored entry this replica refuses is logged once, not every re-read.
      const read = JSON.stringify([...all].sort(([a], [b]) => a.localeCompare(b)));
      if (read !== this.lastRead && JSON.stringify([...all]) !== JSON.stringify([...this.sources.api])) await this.change({ ...this.sources, api: this.acceptable(all) }, { source: 'api', ref: 'store' });
      this.lastRead = read;
      this.apiRead = true;
    });
  }

  /**
   * The stored servers this replica can serve: all of them normally; when the set does not validate
   * here (written by another version, or clashing with this replica's file), each one that does not
   * fit is left out and logged, so one bad entry never holds back the others.
   */
  private acceptable(all: Map<string, DeclaredServer>): Map<string, DeclaredServer> {
    if (compose({ ...this.sources, api: all }).ok) return all;
    const kept = new Map<string, DeclaredServer>();
    for (const [name, d] of [...all].sort(([a], [b]) => a.localeCompare(b))) {
      const item: ChangedItem = { source: 'api', ref: name };
      const r = compose({ ...this.sources, api: new Map(kept).set(name, d) }, item);
      if (r.ok) kept.set(name, d);
      else this.refused('api', item, r.problems);
    }
    return kept;
  }

  /** Composes, validates and activates; the sources change only once the new runtime serves. */
  private async change(next: Sources, item: ChangedItem): Promise<{ ok: true; result: Exclude<Result, 'rejected'> } | { ok: false; problems: ConfigProblem[] }> {
    const r = compose(next, item);
    if (!r.ok) {
      this.refused(item.source, item, r.problems);
      return r;
    }
    if (r.version === this.current.version) {
      this.sources = next;
      this.current = r;
      this.deps.metrics.reloads.inc({ source: item.source, result: 'unchanged' });
      return { ok: true, result: 'unchanged' };
    }
    try {
      await this.deps.activate(r.config, r.version);
    } catch (err) {
      const problems = [{ path: '', message: `could not be put into service: ${(err as Error).message}` }];
      this.refused(item.source, item, problems);
      return { ok: false, problems };
    }
    const before = this.current;
    const previous = new Map(before.config.servers.map((s) => [s.name, JSON.stringify(s)]));
    const added: string[] = [];
    const changed: string[] = [];
    for (const s of r.config.servers) {
      const was = previous.get(s.name);
      if (was === JSON.stringify(s)) continue;
      this.changedIn.set(s.name, r.version);
      (was === undefined ? added : changed).push(s.name);
    }
    const removed = [...previous.keys()].filter((n) => !r.origins.has(n));
    for (const n of removed) this.changedIn.delete(n);
    this.sources = next;
    this.current = r;
    this.deps.metrics.running(r.version);
    this.deps.metrics.reloads.inc({ source: item.source, result: 'applied' });
    this.deps.logger.info({ version: r.version, previous: before.version, source: item.source, ref: item.ref, added, changed, removed }, 'configuration applied');
    for (const l of this.appliedListeners) l();
    return { ok: true, result: 'applied' };
  }

  private refused(source: ConfigSourceKind, item: ChangedItem, problems: readonly ConfigProblem[]): void {
    this.deps.metrics.reloads.inc({ source, result: 'rejected' });
    for (const p of problems) {
      this.deps.logger.error({ source, ref: item.ref, problem: p.path ? problemLine([p.path], p.message) : p.message }, `configuration change refused; still serving version ${this.current.version}`);
    }
  }

  private entryOf(name: string): ServerEntry | undefined {
    const spec = this.current.config.servers.find((s) => s.name === name);
    const origin = this.current.origins.get(name);
    if (!spec || !origin) return undefined;
    return { name, spec, origin: { ...origin, version: this.changedIn.get(name) ?? this.current.version } };
  }

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function nameOf(spec: unknown): string {
  const name = typeof spec === 'object' && spec !== null ? (spec as { name?: unknown }).name : undefined;
  if (typeof name !== 'string' || name === '') throw new ConfigRejected([{ path: 'name', message: typeof spec === 'object' && spec !== null ? 'required' : 'the server must be a mapping with a name' }]);
  return name;
}
