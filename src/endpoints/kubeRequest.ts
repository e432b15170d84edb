// What a Kubernetes API request of the endpoint mirror is: the collections it reads, a list's result,
// and a failure tagged with its resource. Nothing here loads @kubernetes/client-node (types only), so
// a config without Kubernetes endpoints never pays for the client (docs/performance.md, Memory).
import type { KubernetesObject } from '@kubernetes/client-node';

export type WatchedKind = 'endpointslices' | 'pods' | 'services';

/** A failed API call: which resource, and the HTTP status when the API server answered. */
export class KubeRequestError extends Error {
  constructor(
    readonly kind: WatchedKind,
    readonly status: number | undefined,
    cause: unknown,
    reason = reasonOf(cause),
  ) {
    super(`${kind}: ${status !== undefined ? `HTTP ${status}: ` : ''}${reason}`, { cause });
    this.name = 'KubeRequestError';
  }
}

export interface ListResult<T extends KubernetesObject> {
  items: T[];
  resourceVersion: string;
}

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export const watchPaths = {
  endpointslices: (ns: string) => `/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(ns)}/endpointslices`,
  pods: (ns: string) => `/api/v1/namespaces/${encodeURIComponent(ns)}/pods`,
};

function reasonOf(err: unknown): string {
  if (err instanceof Error) return err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message;
  return String(err);
}
