// The fake API server's storage: objects by resource/namespace/name, one global resourceVersion
// counter (as etcd's revision), and an event history that compact() drops so old versions expire.
import { randomUUID } from 'node:crypto';

export type Resource = 'endpointslices' | 'pods' | 'services' | 'mcpservers';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
    /** Custom resources with a status subresource: bumped by spec changes only. */
    generation?: number;
    uid?: string;
    creationTimestamp?: string;
  };
  [field: string]: unknown;
}

export interface StoreEvent {
  resourceVersion: number;
  resource: Resource;
  namespace: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject;
  /** The object before a MODIFIED; the object itself for DELETED. */
  previous?: KubeObject;
}

export class ObjectStore {
  #resourceVersion = 1000;
  #oldestWatchable = 1000;
  #history: StoreEvent[] = [];
  readonly #objects = new Map<string, KubeObject>();
  readonly #subscribers = new Set<(e: StoreEvent) => void>();

  get resourceVersion(): number {
    return this.#resourceVersion;
  }

  /** Creates or replaces; an identical object is left alone (no new resourceVersion), as the API server does. */
  upsert(resource: Resource, namespace: string, input: KubeObject): KubeObject {
    const key = keyOf(resource, namespace, input.metadata.name);
    const previous = this.#objects.get(key);
    const object = structuredClone(input);
    object.metadata.namespace = namespace;
    object.metadata.uid = previous?.metadata.uid ?? randomUUID();
    object.metadata.creationTimestamp = previous?.metadata.creationTimestamp ?? new Date().toISOString();
    object.metadata.resourceVersion = previous?.metadata.resourceVersion;
    if (previous && JSON.stringify(previous) === JSON.stringify(object)) return structuredClone(previous);
    object.metadata.resourceVersion = String(++this.#resourceVersion);
    this.#objects.set(key, object);
    this.#record({ type: previous ? 'MODIFIED' : 'ADDED', resource, namespace, object, ...(previous ? { previous } : {}) });
    return structuredClone(object);
  }

  delete(resource: Resource, namespace: string, name: string): boolean {
    const key = keyOf(resource, namespace, name);
    const previous = this.#objects.get(key);
    if (!previous) return false;
    this.#objects.delete(key);
    const object = structuredClone(previous);
    object.metadata.resourceVersion = String(++this.#resourceVersion);
    this.#record({ type: 'DELETED', resource, namespace, object, previous });
    return true;
  }

  get(resource: Resource, namespace: string, name: string): KubeObject | undefined {
    const o = this.#objects.get(keyOf(resource, namespace, name));
    return o && structuredClone(o);
  }

  /** namespace undefined: all namespaces. */
  list(resource: Resource, namespace: string | undefined): KubeObject[] {
    const out: KubeObject[] = [];
    for (const [key, o] of this.#objects) {
      if (key.startsWith(`${resource}/`) && (namespace === undefined || o.metadata.namespace === namespace)) out.push(structuredClone(o));
    }
    return out;
  }

  /** Events after resourceVersion, or 'expired' when compaction dropped some of them. */
  eventsAfter(resourceVersion: number): StoreEvent[] | 'expired' {
    if (resourceVersion < this.#oldestWatchable) return 'expired';
    return this.#history.filter((e) => e.resourceVersion > resourceVersion);
  }

  /** Forget the history: watching from any resourceVersion older than the current one answers 410 Gone. */
  compact(): void {
    this.#history = [];
    this.#oldestWatchable = this.#resourceVersion;
  }

  subscribe(fn: (e: StoreEvent) => void): () => void {
    this.#subscribers.add(fn);
    return () => this.#subscribers.delete(fn);
  }

  #record(e: Omit<StoreEvent, 'resourceVersion'>): void {
    const event: StoreEvent = { ...e, resourceVersion: this.#resourceVersion };
    this.#history.push(event);
    for (const fn of [...this.#subscribers]) fn(event);
  }
}

function keyOf(resource: Resource, namespace: string, name: string): string {
  return `${resource}/${namespace}/${name}`;
}
