// What a Kubernetes API request of the endpoint mirror is: the collections it reads, a list's result,
// and a failure tagged with its resource. Nothing here loads @kubernetes/client-node (types only), so
// a config without Kubernetes endpoints never pays for the client (docs/performance.md, Memory).
import type { ConfigurationOptions, KubernetesObject } from '@kubernetes/client-node';

export type WatchedKind = 'endpointslices' | 'pods' | 'services' | 'mcpservers';

/** A failed API call: which resource, and the HTTP status when the API server answered. */
export class KubeRequestError extends Error {
  constructor(
    readonly kind: WatchedKind,
    readonly status: number | undefined,
    cause: unknown,
    reason = kubeErrorReason(cause),
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

/** Why a Kubernetes call failed: the API server's Status message when it sent one, else the error's own. */
export function kubeErrorReason(err: unknown): string {
  const body: unknown = (err as { body?: unknown } | null | undefined)?.body;
  if (typeof body === 'string') {
    try {
      const status = JSON.parse(body) as { message?: unknown };
      if (typeof status.message === 'string') return status.message;
    } catch {
      return body.slice(0, 200) || 'no body';
    }
  }
  if (err instanceof Error) return err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message;
  return String(err);
}

/** One API call bounded in time and cancellable by `signal`; the client is loaded on first use. */
export async function kubeCall<T>(kind: WatchedKind, signal: AbortSignal, fn: (o: ConfigurationOptions) => Promise<T>): Promise<T> {
  const { call } = await import('./kubeApi.js');
  return call(kind, signal, fn);
}
