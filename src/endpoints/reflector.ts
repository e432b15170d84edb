// One Kubernetes collection mirrored in memory: list, then watch from the list's resourceVersion;
// re-list on 410 Gone and every resync period; re-watch with backoff after errors, forever, until
// stopped. client-node's ListWatch is not used because it gives up after a non-410 error and never
// re-lists on its own; this loop owns both. The resync timer also bounds a watch stuck on a dead
// connection (client-node 1.x has no inactivity timeout of its own).
//
//   listing ──ok──▶ watching ──closed / quiet timeout──▶ watching (same resourceVersion)
//      ▲  └─error─▶ backoff ─┐    ├──error──▶ backoff ──▶ watching
//      └─────────────────────┘    └──410 Gone / resync due──▶ listing
import type { KubernetesObject, Watch } from '@kubernetes/client-node';
import type { Logger } from '../telemetry/index.js';
import { Backoff, type RetryOptions } from './backoff.js';
import { KubeRequestError, type ListResult, type WatchedKind } from './kubeApi.js';

export interface ReflectorOptions<T> {
  kind: Exclude<WatchedKind, 'services'>;
  watch: Watch;
  /** Collection path the watch streams from (the same collection `list` reads). */
  path: string;
  labelSelector?: string;
  list(signal: AbortSignal): Promise<ListResult<KubernetesObject>>;
  /** What to keep of an object; undefined keeps nothing, as if the object were absent. */
  project(obj: KubernetesObject): T | undefined;
  resyncMs: number;
  retry?: RetryOptions;
  logger: Logger;
  /** After each list and each applied watch event; the owner decides whether anything it shows changed. */
  onStoreChange(): void;
  onError(err: KubeRequestError): void;
}

type WatchOutcome = 'closed' | 'error' | 'expired' | 'resync' | 'stopped';

interface WatchEnd {
  outcome: WatchOutcome;
  resourceVersion: string;
  events: number;
  lastedMs: number;
  err?: KubeRequestError;
}

// A watch that ends this soon without any event is treated like an error, so a server or proxy
// that closes every watch at once is not hammered in a tight loop.
const MIN_HEALTHY_WATCH_MS = 1000;

/** 401, 403 and 404 on the first list mean credentials, RBAC or an API the cluster does not serve. */
const FATAL_AT_START = new Set([401, 403, 404]);

export class Reflector<T> {
  readonly #o: ReflectorOptions<T>;
  /** By namespace/name (a watch may span namespaces), in update order: the most recently changed object last. */
  readonly #items = new Map<string, { resourceVersion: string; value: T | undefined }>();
  #listed = false;
  #loop: Promise<void> | undefined;

  constructor(options: ReflectorOptions<T>) {
    this.#o = options;
  }

  get listed(): boolean {
    return this.#listed;
  }

  /** Kept values, oldest update first. */
  values(): T[] {
    const out: T[] = [];
    for (const { value } of this.#items.values()) if (value !== undefined) out.push(value);
    return out;
  }

  /**
   * Runs until signal aborts. The promise settles with the first list: resolves when it succeeds,
   * rejects on a fatal error (see FATAL_AT_START) or when stopped before it; other errors are retried.
   */
  start(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const first = { resolve, reject };
      const stoppedEarly = () => reject(new Error(`${this.#o.kind}: stopped before the first list`));
      if (signal.aborted) return stoppedEarly();
      signal.addEventListener('abort', stoppedEarly, { once: true });
      this.#loop = this.#run(signal, first).catch((err: unknown) => {
        // Unreachable by design (every await is guarded); logged rather than crashing the process.
        this.#o.logger.error({ err, kind: this.#o.kind }, 'kubernetes mirror loop ended unexpectedly');
      });
    });
  }

  /** Resolves when the loop has seen its stop signal. */
  async stopped(): Promise<void> {
    await this.#loop;
  }

  async #run(signal: AbortSignal, first: { resolve(): void; reject(err: Error): void }): Promise<void> {
    const backoff = new Backoff(this.#o.retry);
    while (!signal.aborted) {
      let resourceVersion: string;
      try {
        resourceVersion = await this.#list(signal);
      } catch (err) {
        if (signal.aborted) return;
        const e = asRequestError(this.#o.kind, err);
        if (!this.#listed && e.status !== undefined && FATAL_AT_START.has(e.status)) {
          first.reject(e);
          return;
        }
        this.#report(e, 'list', backoff);
        await backoff.wait(signal);
        continue;
      }
      first.resolve();
      backoff.reset();
      const resyncAt = Date.now() + this.#o.resyncMs;
      for (;;) {
        const end = await this.#watchOnce(resourceVersion, resyncAt - Date.now(), signal);
        resourceVersion = end.resourceVersion;
        if (end.events > 0) backoff.reset();
        if (end.outcome === 'stopped' || end.outcome === 'resync') break;
        if (end.outcome === 'expired') {
          this.#o.logger.info({ kind: this.#o.kind }, 'kubernetes watch resourceVersion expired (410 Gone); re-listing');
          break;
        }
        if (end.outcome === 'error') {
          this.#report(end.err!, 'watch', backoff);
          await backoff.wait(signal);
        } else if (end.events === 0 && end.lastedMs < MIN_HEALTHY_WATCH_MS) {
          await backoff.wait(signal);
        }
        if (signal.aborted || Date.now() >= resyncAt) break;
      }
    }
  }

  /** Replaces the store with the list; unchanged objects keep their place in update order. */
  async #list(signal: AbortSignal): Promise<string> {
    const list = await this.#o.list(signal);
    if (signal.aborted) return list.resourceVersion;
    const fresh = new Map<string, KubernetesObject>();
    for (const obj of list.items) fresh.set(keyOf(obj), obj);
    for (const [name, kept] of [...this.#items]) {
      const obj = fresh.get(name);
      if (obj?.metadata?.resourceVersion === kept.resourceVersion) fresh.delete(name);
      else this.#items.delete(name);
    }
    for (const [name, obj] of fresh) this.#items.set(name, this.#entryOf(obj));
    this.#listed = true;
    this.#o.onStoreChange();
    return list.resourceVersion;
  }

  #watchOnce(resourceVersion: string, maxMs: number, signal: AbortSignal): Promise<WatchEnd> {
    const { kind, watch, path, labelSelector } = this.#o;
    return new Promise<WatchEnd>((resolve) => {
      const started = Date.now();
      let current = resourceVersion;
      let events = 0;
      let settled = false;
      let controller: AbortController | undefined;
      const finish = (outcome: WatchOutcome, err?: KubeRequestError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(resyncTimer);
        signal.removeEventListener('abort', onStop);
        controller?.abort();
        resolve({ outcome, resourceVersion: current, events, lastedMs: Date.now() - started, ...(err ? { err } : {}) });
      };
      const onStop = (): void => finish('stopped');
      if (signal.aborted || maxMs <= 0) return finish(signal.aborted ? 'stopped' : 'resync');
      signal.addEventListener('abort', onStop, { once: true });
      const resyncTimer = setTimeout(() => finish('resync'), maxMs);
      resyncTimer.unref();

      const onEvent = (type: string, obj: KubernetesObject & { code?: unknown }): void => {
        if (settled) return;
        if (type === 'ERROR') {
          // The API server reports an expired resourceVersion as an ERROR event carrying a Status with code 410.
          const code = typeof obj?.code === 'number' ? obj.code : undefined;
          return finish(code === 410 ? 'expired' : 'error', new KubeRequestError(kind, code, statusMessage(obj)));
        }
        let changed = false;
        if (type === 'ADDED' || type === 'MODIFIED') changed = this.#upsert(obj);
        else if (type === 'DELETED') changed = this.#delete(obj);
        else if (type !== 'BOOKMARK') return;
        events++;
        current = obj?.metadata?.resourceVersion || current;
        // Most pod events (status churn of pods not draining) keep nothing; skip the snapshot rebuild for those.
        if (changed) this.#o.onStoreChange();
      };
      const onDone = (err: unknown): void => {
        // null: the server ended the stream; TimeoutError: client-node 2.x aborts a stream quiet for 30 s.
        if (err == null || (err instanceof Error && err.name === 'TimeoutError')) return finish('closed');
        const e = asRequestError(kind, err);
        finish(e.status === 410 ? 'expired' : 'error', e);
      };
      const query = {
        resourceVersion: current,
        allowWatchBookmarks: true,
        timeoutSeconds: Math.max(1, Math.ceil(maxMs / 1000)),
        ...(labelSelector !== undefined ? { labelSelector } : {}),
      };
      // watch() resolves only once response headers arrive, so the loop never waits on it: stop and
      // resync settle at once, and a controller that arrives after that is aborted on arrival.
      watch.watch(path, query, onEvent, onDone).then(
        (c) => (settled ? c.abort() : (controller = c)),
        onDone,
      );
    });
  }

  /** Whether a kept value is involved (its content or its place in update order may have changed). */
  #upsert(obj: KubernetesObject): boolean {
    const name = keyOf(obj);
    const before = this.#items.get(name)?.value;
    const entry = this.#entryOf(obj);
    this.#items.delete(name);
    this.#items.set(name, entry);
    return before !== undefined || entry.value !== undefined;
  }

  #delete(obj: KubernetesObject): boolean {
    const name = keyOf(obj);
    const before = this.#items.get(name)?.value;
    this.#items.delete(name);
    return before !== undefined;
  }

  #entryOf(obj: KubernetesObject): { resourceVersion: string; value: T | undefined } {
    return { resourceVersion: obj.metadata?.resourceVersion ?? '', value: this.#o.project(obj) };
  }

  #report(err: KubeRequestError, phase: 'list' | 'watch', backoff: Backoff): void {
    this.#o.logger.warn(
      { kind: err.kind, status: err.status, retryInMs: backoff.nextDelayMs },
      `kubernetes ${phase} of ${this.#o.kind} failed, retrying: ${err.message}`,
    );
    this.#o.onError(err);
  }
}

function asRequestError(kind: ReflectorOptions<unknown>['kind'], err: unknown): KubeRequestError {
  if (err instanceof KubeRequestError) return err;
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  return new KubeRequestError(kind, typeof status === 'number' ? status : undefined, err);
}

function statusMessage(obj: unknown): Error {
  const message = (obj as { message?: unknown } | null)?.message;
  return new Error(typeof message === 'string' ? message : 'watch ERROR event');
}

function keyOf(obj: KubernetesObject): string {
  return `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
}
