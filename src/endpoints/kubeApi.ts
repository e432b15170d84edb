// The Kubernetes API calls the endpoint mirror makes: list and read through the generated client,
// each bounded in time and cancellable by stop(); failures tagged with the resource they concern.
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

export type WatchedKind = 'endpointslices' | 'pods' | 'services' | 'mcpservers';

/** A failed API call: which resource, and the HTTP status when the API server answered. */
export class KubeRequestError extends Error {
  constructor(
    readonly kind: WatchedKind,
    readonly status: number | undefined,
    cause: unknown,
  ) {
    super(`${kind}: ${status !== undefined ? `HTTP ${status}: ` : ''}${reasonOf(cause)}`, { cause });
    this.name = 'KubeRequestError';
  }
}

export interface ListResult<T extends KubernetesObject> {
  items: T[];
  resourceVersion: string;
}

// A hung list must not stall the mirror forever; API servers answer lists of this size in well under a second.
const LIST_TIMEOUT_MS = 60_000;

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export const watchPaths = {
  endpointslices: (ns: string) => `/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(ns)}/endpointslices`,
  pods: (ns: string) => `/api/v1/namespaces/${encodeURIComponent(ns)}/pods`,
};

export class KubeApi {
  readonly #core: CoreV1Api;
  readonly #discovery: DiscoveryV1Api;

  /** Throws when the KubeConfig has no current cluster. */
  constructor(kubeConfig: KubeConfig) {
    this.#core = kubeConfig.makeApiClient(CoreV1Api);
    this.#discovery = kubeConfig.makeApiClient(DiscoveryV1Api);
  }

  async listSlices(namespace: string, service: string, signal: AbortSignal): Promise<ListResult<V1EndpointSlice>> {
    const list = await kubeCall('endpointslices', signal, (o) =>
      this.#discovery.listNamespacedEndpointSlice({ namespace, labelSelector: `${SERVICE_NAME_LABEL}=${service}` }, o),
    );
    return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '' };
  }

  async listPods(namespace: string, signal: AbortSignal): Promise<ListResult<V1Pod>> {
    const list = await kubeCall('pods', signal, (o) => this.#core.listNamespacedPod({ namespace }, o));
    return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '' };
  }

  /** undefined when the Service does not exist (404). */
  async readService(namespace: string, name: string, signal: AbortSignal): Promise<V1Service | undefined> {
    try {
      return await kubeCall('services', signal, (o) => this.#core.readNamespacedService({ name, namespace }, o));
    } catch (err) {
      if (err instanceof KubeRequestError && err.status === 404) return undefined;
      throw err;
    }
  }
}

/** One API call bounded in time and cancellable by `signal`; failures become KubeRequestError. */
export async function kubeCall<T>(kind: WatchedKind, signal: AbortSignal, fn: (o: ConfigurationOptions) => Promise<T>): Promise<T> {
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

/** The API server's Status message when there is one, else the error's own message. */
export function reasonOf(err: unknown): string {
  if (err instanceof ApiException) {
    const body: unknown = err.body;
    if (typeof body === 'string') {
      try {
        const status = JSON.parse(body) as { message?: unknown };
        if (typeof status.message === 'string') return status.message;
      } catch {
        return body.slice(0, 200) || 'no body';
      }
    }
    return 'no message';
  }
  if (err instanceof Error) return err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message;
  return String(err);
}
