// The Kubernetes calls provisioning makes, and only those (istio/components/provisioning grants exactly
// these verbs): create, get and delete of the objects it owns, and a list of the server's pods for
// health. Failures become ProvisionError with the API server's own message. Loaded only when
// provisioning is enabled (registrar.ts), so no other configuration pays for the Kubernetes client.
import { ApiException, AppsV1Api, CoreV1Api, CustomObjectsApi, type KubeConfig, type V1Deployment, type V1Pod, type V1Service, type V1StatefulSet } from '@kubernetes/client-node';
import { kubeErrorReason } from '../endpoints/index.js';
import { ProvisionError } from './contract.js';
import type { KubeManifest, ObjectRef } from './objects.js';

/** What removal needs to know of an existing object. */
export interface ExistingObject {
  uid: string;
  labels: Record<string, string>;
  /** Workloads: desired replicas. */
  replicas?: number;
}

interface ReadBack {
  metadata?: { uid?: string; labels?: Record<string, string> };
  spec?: object;
}

interface KindApi {
  create(namespace: string, body: KubeManifest): Promise<unknown>;
  read(namespace: string, name: string): Promise<ReadBack>;
  delete(namespace: string, name: string, uid: string): Promise<unknown>;
}

export class ProvisionApi {
  readonly #core: CoreV1Api;
  readonly #kinds: Record<string, KindApi>;

  constructor(kubeConfig: KubeConfig) {
    const core = (this.#core = kubeConfig.makeApiClient(CoreV1Api));
    const apps = kubeConfig.makeApiClient(AppsV1Api);
    const custom = kubeConfig.makeApiClient(CustomObjectsApi);
    // Dependants (pods, ReplicaSets) go in the background, as kubectl delete does.
    const removal = (uid: string) => ({ body: { preconditions: { uid }, propagationPolicy: 'Background' } });
    const crd = (group: string, version: string, plural: string): KindApi => ({
      create: (namespace, body) => custom.createNamespacedCustomObject({ group, version, namespace, plural, body }),
      read: (namespace, name) => custom.getNamespacedCustomObject({ group, version, namespace, plural, name }) as Promise<ReadBack>,
      delete: (namespace, name, uid) => custom.deleteNamespacedCustomObject({ group, version, namespace, plural, name, ...removal(uid) }),
    });
    this.#kinds = {
      Service: {
        create: (namespace, body) => core.createNamespacedService({ namespace, body: body as unknown as V1Service }),
        read: (namespace, name) => core.readNamespacedService({ namespace, name }),
        delete: (namespace, name, uid) => core.deleteNamespacedService({ namespace, name, ...removal(uid) }),
      },
      StatefulSet: {
        create: (namespace, body) => apps.createNamespacedStatefulSet({ namespace, body: body as unknown as V1StatefulSet }),
        read: (namespace, name) => apps.readNamespacedStatefulSet({ namespace, name }),
        delete: (namespace, name, uid) => apps.deleteNamespacedStatefulSet({ namespace, name, ...removal(uid) }),
      },
      Deployment: {
        create: (namespace, body) => apps.createNamespacedDeployment({ namespace, body: body as unknown as V1Deployment }),
        read: (namespace, name) => apps.readNamespacedDeployment({ namespace, name }),
        delete: (namespace, name, uid) => apps.deleteNamespacedDeployment({ namespace, name, ...removal(uid) }),
      },
      DestinationRule: crd('networking.istio.io', 'v1', 'destinationrules'),
      MCPServer: crd('mcpgw.io', 'v1alpha1', 'mcpservers'),
    };
  }

  async create(m: KubeManifest): Promise<void> {
    const ref = { kind: m.kind, namespace: m.metadata.namespace, name: m.metadata.name };
    await guarded(ref, () => this.#kind(m.kind).create(m.metadata.namespace, m));
  }

  /** undefined when the object does not exist. */
  async read(ref: Pick<ObjectRef, 'kind' | 'namespace' | 'name'>): Promise<ExistingObject | undefined> {
    try {
      const o = await guarded(ref, () => this.#kind(ref.kind).read(ref.namespace, ref.name));
      return { uid: o.metadata?.uid ?? '', labels: o.metadata?.labels ?? {}, ...replicasOf(o) };
    } catch (err) {
      if (err instanceof ProvisionError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** Deletes exactly the object with this uid (a precondition), so a same-named replacement is never hit. */
  async delete(ref: Pick<ObjectRef, 'kind' | 'namespace' | 'name'>, uid: string): Promise<void> {
    await guarded(ref, () => this.#kind(ref.kind).delete(ref.namespace, ref.name, uid));
  }

  async pods(namespace: string, labelSelector: string): Promise<V1Pod[]> {
    const list = await guarded({ kind: 'Pod', namespace, name: `(${labelSelector})` }, () => this.#core.listNamespacedPod({ namespace, labelSelector }));
    return list.items;
  }

  #kind(kind: string): KindApi {
    const api = this.#kinds[kind];
    if (!api) throw new Error(`provisioning does not manage ${kind}`);
    return api;
  }
}

// A hung API server must not hang a management call; the API server answers these in milliseconds.
const CALL_TIMEOUT_MS = 30_000;

async function guarded<T>(ref: Pick<ObjectRef, 'kind' | 'namespace' | 'name'>, fn: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProvisionError(ref, undefined, `no answer from the Kubernetes API within ${CALL_TIMEOUT_MS / 1000} s`)), CALL_TIMEOUT_MS);
  });
  try {
    return await Promise.race([fn(), timeout]);
  } catch (err) {
    if (err instanceof ProvisionError) throw err;
    throw new ProvisionError(ref, err instanceof ApiException ? err.code : undefined, kubeErrorReason(err));
  } finally {
    clearTimeout(timer);
  }
}

function replicasOf(o: ReadBack): { replicas?: number } {
  const n = (o.spec as { replicas?: unknown } | undefined)?.replicas;
  return typeof n === 'number' ? { replicas: n } : {};
}
