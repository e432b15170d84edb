// The Kubernetes API calls the endpoint mirror makes: list and read through the generated client,
// each bounded in time and cancellable by stop(); failures tagged with the resource they concern.
// Loaded on first use by KubernetesEndpoints.start() (it pulls in the whole generated client).
import {
  ApiException,
  CoreV1Api,
  DiscoveryV1Api,
  type ConfigurationOptions,
  type KubeConfig,
  type KubernetesObject,
  Observable,
  type ObservableMiddleware,
  type V1EndpointSlice,
  type V1Pod,
  type V1Service,
} from '@kubernetes/client-node';
import { KubeRequestError, SERVICE_NAME_LABEL, type ListResult, type WatchedKind } from './kubeRequest.js';

// A hung list must not stall the mirror forever; API servers answer lists of this size in well under a second.
const LIST_TIMEOUT_MS = 60_000;

export class KubeApi {
  readonly #core: CoreV1Api;
  readonly #discovery: DiscoveryV1Api;

  /** Throws when the KubeConfig has no current cluster. */
  constructor(kubeConfig: KubeConfig) {
    this.#core = kubeConfig.makeApiClient(CoreV1Api);
    this.#discovery = kubeConfig.makeApiClient(DiscoveryV1Api);
  }

  async listSlices(namespace: string, service: string, signal: AbortSignal): Promise<ListResult<V1EndpointSlice>> {
    const list = await call('endpointslices', signal, (o) =>
      this.#discovery.listNamespacedEndpointSlice({ namespace, labelSelector: `${SERVICE_NAME_LABEL}=${service}` }, o),
    );
    return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '' };
  }

  async listPods(namespace: string, signal: AbortSignal): Promise<ListResult<V1Pod>> {
    const list = await call('pods', signal, (o) => this.#core.listNamespacedPod({ namespace }, o));
    return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '' };
  }

  /** undefined when the Service does not exist (404). */
  async readService(namespace: string, name: string, signal: AbortSignal): Promise<V1Service | undefined> {
    try {
      return await call('services', signal, (o) => this.#core.readNamespacedService({ name, namespace }, o));
    } catch (err) {
      if (err instanceof KubeRequestError && err.status === 404) return undefined;
      throw err;
    }
  }
}

/** See kubeRequest.ts kubeCall, the lazily loading face of this. */
export async function call<T>(kind: WatchedKind, signal: AbortSignal, fn: (o: ConfigurationOptions) => Promise<T>): Promise<T> {
  try {
    return await fn(abortableBy(AbortSignal.any([signal, AbortSignal.timeout(LIST_TIMEOUT_MS)])));
  } catch (err) {
    throw new KubeRequestError(kind, err instanceof ApiException ? err.code : undefined, err);
  }
}

// The generated client has no per-call signal; a request middleware is its way to set one.
function abortableBy(signal: AbortSignal): ConfigurationOptions {
  const middleware: ObservableMiddleware = {
    pre: (ctx) => (ctx.setSignal(signal), new Observable(Promise.resolve(ctx))),
    post: (res) => new Observable(Promise.resolve(res)),
  };
  return { middleware: [middleware], middlewareMergeStrategy: 'append' };
}
