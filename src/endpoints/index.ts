// Public face of the endpoints module: the pods of an MCP server exactly as Envoy's hash LB sees them
// (static list, or Kubernetes EndpointSlices filtered by Istio's EDS rules; docs/endpoints.md).
export type { Endpoint, EndpointSnapshot, EndpointSource } from './types.js';
export { StaticEndpoints } from './static.js';
export {
  KubernetesEndpoints,
  DRAIN_ANNOTATION,
  PERSISTENT_SESSION_LABELS,
  type KubernetesEndpointsOptions,
} from './kubernetes.js';
export { loadKubeConfig } from './kubeConfig.js';
export { KubeRequestError, kubeCall, kubeErrorReason, type ListResult, type WatchedKind } from './kubeRequest.js';
export { Reflector, type ReflectorOptions } from './reflector.js';
export type { RetryOptions } from './backoff.js';
export { hostKey, parseHostKey } from './hostKey.js';
