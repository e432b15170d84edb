// The Kubernetes objects that run one provisioned MCP server, as pure values: the workload (a
// StatefulSet for stable pod names, or a Deployment), its Service, and the Istio DestinationRule whose
// consistent hash reads the affinity header mcpgw writes. Every object carries the managed-by and owner
// labels, which are how removal recognises what it created.
import type { ServerConfig } from '../config/index.js';
import type { DeploySpec } from './deploySpec.js';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'mcpgw';
/** The same label the shipped example servers carry (istio/examples/mcp-server). */
export const OWNER_LABEL = 'mcp-mesh-gateway.io/server';
const NAME_LABEL = 'app.kubernetes.io/name';
const PORT_NAME = 'http';

export type WorkloadKind = 'StatefulSet' | 'Deployment';

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

export interface KubeManifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: Record<string, unknown>;
}

export function ownerLabels(server: string): Record<string, string> {
  return { [NAME_LABEL]: server, [MANAGED_BY_LABEL]: MANAGED_BY, [OWNER_LABEL]: server };
}

/** Labels that select the server's pods (a subset of ownerLabels, never changed after creation). */
export function podSelector(server: string): Record<string, string> {
  return { [NAME_LABEL]: server, [OWNER_LABEL]: server };
}

export function selectorString(server: string): string {
  return Object.entries(podSelector(server)).map(([k, v]) => `${k}=${v}`).join(',');
}

/** Whether an object read back from the API server is one mcpgw created for this server. */
export function ownedBy(labels: Record<string, string> | undefined, server: string): boolean {
  return labels?.[MANAGED_BY_LABEL] === MANAGED_BY && labels[OWNER_LABEL] === server;
}

export function serviceHost(server: string, namespace: string): string {
  return `${server}.${namespace}.svc.cluster.local`;
}

function meta(server: string, namespace: string) {
  return { name: server, namespace, labels: ownerLabels(server) };
}

function container(d: DeploySpec) {
  const env = [
    { name: 'PORT', value: String(d.port) },
    ...d.env.map((e) => (e.secret ? { name: e.name, valueFrom: { secretKeyRef: { name: e.secret.name, key: e.secret.key } } } : { name: e.name, value: e.value as string })),
  ];
  return {
    name: 'server',
    image: d.image,
    ports: [{ name: PORT_NAME, containerPort: d.port, protocol: 'TCP' }],
    env,
    ...(d.envFrom.length ? { envFrom: d.envFrom.map((e) => ({ secretRef: { name: e.secret } })) } : {}),
    readinessProbe: { tcpSocket: { port: d.port }, periodSeconds: 5 },
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '512Mi' } },
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
  };
}

export function workload(server: string, kind: WorkloadKind, d: DeploySpec): KubeManifest {
  const template = {
    metadata: { labels: ownerLabels(server) },
    spec: {
      // Sessions live in the pod: give open SSE streams time to finish on scale-down.
      terminationGracePeriodSeconds: 60,
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [container(d)],
    },
  };
  const common = { replicas: d.replicas, selector: { matchLabels: podSelector(server) }, template };
  return kind === 'StatefulSet'
    ? { apiVersion: 'apps/v1', kind, metadata: meta(server, d.namespace), spec: { serviceName: server, podManagementPolicy: 'Parallel', ...common } }
    : { apiVersion: 'apps/v1', kind, metadata: meta(server, d.namespace), spec: common };
}

/** A ClusterIP Service (not headless): Istio programs its ready endpoints and the hash picks among them. */
export function service(server: string, d: DeploySpec): KubeManifest {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(server, d.namespace),
    spec: { selector: podSelector(server), ports: [{ name: PORT_NAME, port: d.port, targetPort: PORT_NAME, protocol: 'TCP', appProtocol: 'http' }] },
  };
}

/** The hash policy mirrors the server's affinity config exactly, as mcpgw computes keys for it. */
export function destinationRule(server: string, d: DeploySpec, affinity: ServerConfig['affinity']): KubeManifest {
  const lb = affinity.loadBalancer === 'maglev' ? { maglev: { tableSize: affinity.tableSize } } : { ringHash: { minimumRingSize: affinity.minimumRingSize } };
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: meta(server, d.namespace),
    spec: { host: serviceHost(server, d.namespace), trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: affinity.header, ...lb } } } },
  };
}

/**
 * The server as an MCPServer resource (mcpgw.io/v1alpha1) in its own namespace, for meshes where mcpgw
 * watches them: `spec` is the servers[] item without name and endpoints, the Service in their place.
 */
export function mcpServer(server: string, d: DeploySpec, spec: Record<string, unknown>): KubeManifest {
  return { apiVersion: 'mcpgw.io/v1alpha1', kind: 'MCPServer', metadata: meta(server, d.namespace), spec: { ...spec, service: { name: server, port: PORT_NAME } } };
}

/** Everything one server needs, in creation order (removal goes in reverse); the MCPServer last, once its pods can come up. */
export function manifests(server: string, kind: WorkloadKind, d: DeploySpec, affinity: ServerConfig['affinity'], resourceSpec?: Record<string, unknown>): KubeManifest[] {
  return [service(server, d), workload(server, kind, d), destinationRule(server, d, affinity), ...(resourceSpec ? [mcpServer(server, d, resourceSpec)] : [])];
}

/** servers[].endpoints for a provisioned server: its Service's EndpointSlices. */
export function endpointsOf(server: string, d: DeploySpec): { kubernetes: { namespace: string; service: string; port: string } } {
  return { kubernetes: { namespace: d.namespace, service: server, port: PORT_NAME } };
}

export function refOf(m: { apiVersion: string; kind: string; metadata: { name: string; namespace: string } }): ObjectRef {
  return { apiVersion: m.apiVersion, kind: m.kind, namespace: m.metadata.namespace, name: m.metadata.name };
}
