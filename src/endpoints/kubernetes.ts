// The endpoint set of one Kubernetes Service as Istio programs it into Envoy: EndpointSlices of the
// Service (list + watch), the Service's persistent-session labels (read with every slice list), and
// the drain annotation of its pods (list + watch of the namespace's pods).
// @kubernetes/client-node and ./kubeApi.js are imported in start(): the generated client is ~25 MB of
// heap that a config without Kubernetes endpoints must not pay for.
import type { KubeConfig, KubernetesObject, V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import type { Logger } from '../telemetry/index.js';
import type { RetryOptions } from './backoff.js';
import { SERVICE_NAME_LABEL, watchPaths, type KubeRequestError, type WatchedKind } from './kubeRequest.js';
import { Reflector } from './reflector.js';
import { buildSnapshot, sameSnapshot } from './snapshot.js';
import { choosePort, normalizePortSelector, viewOfSlice, type PortChoice, type PortSelector, type SliceView } from './slices.js';
import type { EndpointSnapshot, EndpointSource } from './types.js';

/** A pod annotated with this set to "true" gets no new sessions. */
export const DRAIN_ANNOTATION = 'mcpgw.io/drain';

/** Istio's default label names for persistent sessions (cookie and header form; PILOT_PERSISTENT_SESSION_*LABEL). */
export const PERSISTENT_SESSION_LABELS = ['istio.io/persistent-session', 'istio.io/persistent-session-header'] as const;

export interface KubernetesEndpointsOptions {
  /** A promise (loadKubeConfig) is awaited by start(), whose rejection it becomes. */
  kubeConfig: KubeConfig | Promise<KubeConfig>;
  namespace: string;
  /** Service name; its EndpointSlices carry the label kubernetes.io/service-name=<service>. */
  service: string;
  /** EndpointSlice port name (= Service port name) or port number; optional when the slices carry exactly one port. */
  port?: string | number;
  /** Full re-list period. Default 300. */
  resyncSeconds?: number;
  logger: Logger;
  /** Every failed list or watch, already being retried; for metrics. */
  onWatchError?: (kind: WatchedKind, err: KubeRequestError) => void;
  /** Retry delays after API errors. Default 500 ms doubling to 30 s. */
  retry?: RetryOptions;
}

const UNSYNCED: EndpointSnapshot = Object.freeze({ synced: false, endpoints: [], envoyHosts: [], persistentSession: false });

export class KubernetesEndpoints implements EndpointSource {
  readonly #o: KubernetesEndpointsOptions;
  readonly #port: PortSelector;
  readonly #listeners = new Set<(s: EndpointSnapshot) => void>();
  #abort: AbortController | undefined;
  #slices: Reflector<SliceView> | undefined;
  #pods: Reflector<string> | undefined;
  #service: V1Service | undefined;
  #serviceMissing = false;
  /** Without a `port` option, the one port name first seen; kept if the Service later gains ports. */
  #impliedPortName: string | undefined;
  #ambiguityLogged = '';
  #snapshot = UNSYNCED;

  constructor(options: KubernetesEndpointsOptions) {
    this.#o = options;
    this.#port = normalizePortSelector(options.port);
    // A kubeconfig that fails to load is start()'s error; never an unhandled rejection before it.
    if (options.kubeConfig instanceof Promise) options.kubeConfig.catch(() => undefined);
  }

  async start(): Promise<void> {
    if (this.#abort) throw new Error('KubernetesEndpoints: start() may be called once');
    const { namespace, service, logger } = this.#o;
    const resyncSeconds = this.#o.resyncSeconds ?? 300;
    if (!namespace || !service) throw new Error('KubernetesEndpoints: namespace and service are required');
    if (!(resyncSeconds > 0)) throw new Error(`KubernetesEndpoints: resyncSeconds must be positive, got ${resyncSeconds}`);
    if (this.#port === '' || (typeof this.#port === 'number' && !(Number.isInteger(this.#port) && this.#port >= 1 && this.#port <= 65535)))
      throw new Error(`KubernetesEndpoints: port must be a port name or a number 1-65535, got ${JSON.stringify(this.#o.port)}`);
    const abort = (this.#abort = new AbortController());
    const [kubeConfig, client, { KubeApi }] = await Promise.all([this.#o.kubeConfig, import('@kubernetes/client-node'), import('./kubeApi.js')]);
    await checkCredentials(kubeConfig, client);
    const api = new KubeApi(kubeConfig);
    const watch = new client.Watch(kubeConfig);
    const common = {
      watch,
      resyncMs: resyncSeconds * 1000,
      ...(this.#o.retry ? { retry: this.#o.retry } : {}),
      logger,
      onStoreChange: () => this.#publish(),
      onError: (err: KubeRequestError) => this.#reportError(err),
    };
    this.#slices = new Reflector<SliceView>({
      ...common,
      kind: 'endpointslices',
      path: watchPaths.endpointslices(namespace),
      labelSelector: `${SERVICE_NAME_LABEL}=${service}`,
      list: async (signal) => {
        this.#setService(await api.readService(namespace, service, signal));
        return api.listSlices(namespace, service, signal);
      },
      project: (obj) => viewOfSlice(obj as V1EndpointSlice),
    });
    this.#pods = new Reflector<string>({
      ...common,
      kind: 'pods',
      path: watchPaths.pods(namespace),
      list: (signal) => api.listPods(namespace, signal),
      project: (obj) => (isDrainRequested(obj) ? obj.metadata?.name : undefined),
    });
    try {
      await Promise.all([this.#slices.start(abort.signal), this.#pods.start(abort.signal)]);
      const choice = this.#portChoice(this.#slices.values());
      if ('ambiguous' in choice) throw new Error(`${namespace}/${service}: the EndpointSlices carry several ports (${choice.ambiguous.join(', ')}); set the port`);
    } catch (err) {
      await this.stop();
      throw err;
    }
    logger.info({ namespace, kubeService: service, endpoints: this.#snapshot.envoyHosts.length }, 'kubernetes endpoints synced');
  }

  async stop(): Promise<void> {
    this.#abort?.abort();
    await Promise.all([this.#slices?.stopped(), this.#pods?.stopped()]);
  }

  snapshot(): EndpointSnapshot {
    return this.#snapshot;
  }

  onChange(listener: (s: EndpointSnapshot) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Recomputes the snapshot; publishes only once slices and pods were both listed (drain flags known) and only when it changed. */
  #publish(): void {
    const slices = this.#slices;
    const pods = this.#pods;
    if (!slices?.listed || !pods?.listed || this.#abort?.signal.aborted) return;
    const views = slices.values();
    const next = buildSnapshot({
      synced: true,
      slices: views,
      port: this.#portChoice(views),
      drainRequested: new Set(pods.values()),
      persistentSession: hasPersistentSessionLabel(this.#service),
    });
    if (sameSnapshot(next, this.#snapshot)) return;
    this.#snapshot = next;
    for (const listener of [...this.#listeners]) {
      try {
        listener(next);
      } catch (err) {
        this.#o.logger.error({ err }, 'endpoint change listener threw');
      }
    }
  }

  #portChoice(views: readonly SliceView[]): PortChoice {
    if (this.#impliedPortName !== undefined) return { byName: this.#impliedPortName };
    const choice = choosePort(this.#port, this.#service, views);
    if ('ambiguous' in choice) {
      const names = choice.ambiguous.join(',');
      if (names !== this.#ambiguityLogged) {
        this.#ambiguityLogged = names;
        this.#o.logger.error({ namespace: this.#o.namespace, kubeService: this.#o.service, ports: choice.ambiguous }, 'EndpointSlices carry several ports and no port is configured; no endpoints mirrored');
      }
    } else if (this.#port === undefined && 'byName' in choice && views.some((v) => v.ports.length > 0)) {
      this.#impliedPortName = choice.byName;
    }
    return choice;
  }

  #setService(service: V1Service | undefined): void {
    this.#service = service;
    if (!service && !this.#serviceMissing) {
      this.#o.logger.warn({ namespace: this.#o.namespace, kubeService: this.#o.service }, 'Service not found; treating it as without persistent-session labels');
    }
    this.#serviceMissing = !service;
  }

  #reportError(err: KubeRequestError): void {
    try {
      this.#o.onWatchError?.(err.kind, err);
    } catch (cbErr) {
      this.#o.logger.error({ err: cbErr }, 'onWatchError callback threw');
    }
  }
}

/**
 * Builds the credentials once before any request: a configuration error (an http server without
 * insecure-skip-tls-verify, an unreadable CA or key file) would otherwise look like an endless
 * series of failed requests instead of a failed start.
 */
async function checkCredentials(kubeConfig: KubeConfig, client: typeof import('@kubernetes/client-node')): Promise<void> {
  const server = kubeConfig.getCurrentCluster()?.server;
  if (!server) throw new Error('kubeconfig: no current cluster');
  try {
    await kubeConfig.applySecurityAuthentication(new client.RequestContext(server, client.HttpMethod.GET));
  } catch (err) {
    throw new Error(`kubeconfig: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

function isDrainRequested(pod: KubernetesObject): boolean {
  return pod.metadata?.annotations?.[DRAIN_ANNOTATION] === 'true';
}

/** istiod checks that the label value is non-empty. */
function hasPersistentSessionLabel(service: V1Service | undefined): boolean {
  const labels = service?.metadata?.labels ?? {};
  return PERSISTENT_SESSION_LABELS.some((l) => !!labels[l]);
}
