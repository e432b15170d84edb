// Small builders for the objects tests put into the fake API server, shaped like what the
// Kubernetes controllers write.
import type { KubeObject } from './store.js';

/** Conditions as the EndpointSlice controller writes them for a pod in each state. */
export type EndpointState = 'ready' | 'not-ready' | 'terminating' | 'terminating-not-serving';

const CONDITIONS: Record<EndpointState, { ready: boolean; serving: boolean; terminating: boolean }> = {
  ready: { ready: true, serving: true, terminating: false },
  'not-ready': { ready: false, serving: false, terminating: false },
  terminating: { ready: false, serving: true, terminating: true },
  'terminating-not-serving': { ready: false, serving: false, terminating: true },
};

export interface SliceEndpointSpec {
  addresses: string[];
  /** targetRef to this Pod. */
  pod?: string;
  /** Default 'ready'. */
  state?: EndpointState;
  /** Raw conditions instead of `state`, to leave some unset. */
  conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
}

export interface SliceSpec {
  name: string;
  service: string;
  addressType?: 'IPv4' | 'IPv6' | 'FQDN';
  /** Default one port named "http", 8080. */
  ports?: { name?: string; port?: number; protocol?: string }[];
  endpoints: SliceEndpointSpec[];
}

export function endpointSlice(spec: SliceSpec): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: spec.name,
      labels: { 'kubernetes.io/service-name': spec.service, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' },
    },
    addressType: spec.addressType ?? 'IPv4',
    ports: (spec.ports ?? [{ name: 'http', port: 8080 }]).map((p) => ({ protocol: 'TCP', ...p })),
    endpoints: spec.endpoints.map((e) => ({
      addresses: e.addresses,
      conditions: e.conditions ?? CONDITIONS[e.state ?? 'ready'],
      ...(e.pod ? { targetRef: { kind: 'Pod', name: e.pod } } : {}),
    })),
  };
}

export function pod(spec: { name: string; ip?: string; annotations?: Record<string, string>; labels?: Record<string, string> }): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: spec.name, labels: spec.labels ?? { app: 'mcp' }, ...(spec.annotations ? { annotations: spec.annotations } : {}) },
    spec: { containers: [{ name: 'mcp', image: 'mcp-server' }] },
    status: { phase: 'Running', ...(spec.ip ? { podIP: spec.ip } : {}) },
  };
}

export function service(spec: {
  name: string;
  labels?: Record<string, string>;
  /** Default one port "http" 80 → 8080. */
  ports?: { name?: string; port: number; targetPort?: number | string }[];
}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: spec.name, ...(spec.labels ? { labels: spec.labels } : {}) },
    spec: {
      selector: { app: 'mcp' },
      ports: (spec.ports ?? [{ name: 'http', port: 80, targetPort: 8080 }]).map((p) => ({ protocol: 'TCP', ...p })),
    },
  };
}
