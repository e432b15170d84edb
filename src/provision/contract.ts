// What provisioning asks of the Kubernetes API, free of the client: the RBAC its calls need and how a
// failed call is reported. kube.ts makes the calls and is loaded only when provisioning is enabled.
import type { ObjectRef } from './objects.js';

/** A Kubernetes call that failed: which object, the HTTP status when the API server answered, its message. */
export class ProvisionError extends Error {
  constructor(
    readonly ref: Pick<ObjectRef, 'kind' | 'namespace' | 'name'>,
    readonly status: number | undefined,
    reason: string,
  ) {
    super(`${ref.kind} ${ref.namespace}/${ref.name}: ${status !== undefined ? `HTTP ${status}: ` : ''}${reason}`);
    this.name = 'ProvisionError';
  }
}

/** The RBAC rules these calls need, no more (istio/components/provisioning grants exactly these). */
export const PROVISIONING_RULES = [
  { apiGroups: ['apps'], resources: ['statefulsets', 'deployments'], verbs: ['create', 'get', 'delete'] },
  { apiGroups: [''], resources: ['services'], verbs: ['create', 'get', 'delete'] },
  { apiGroups: ['networking.istio.io'], resources: ['destinationrules'], verbs: ['create', 'get', 'delete'] },
  { apiGroups: ['mcpgw.io'], resources: ['mcpservers'], verbs: ['create', 'get', 'delete'] },
] as const;
