// EndpointSlices reduced to what the mirror needs, and the choice of the slice port whose number
// becomes the host key's port (Istio's EDS endpoints are podIP:targetPort, reference/envoy.md §3.4).
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';

/** One endpoint of a slice. Conditions stay raw (undefined = unset): Istio reads unset differently per condition. */
export interface SliceEndpoint {
  addresses: readonly string[];
  podName?: string;
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

export interface SlicePort {
  name: string;
  port: number;
}

export interface SliceView {
  ports: readonly SlicePort[];
  endpoints: readonly SliceEndpoint[];
}

/** undefined for FQDN slices, which Istio does not program (istio/istio#34995). */
export function viewOfSlice(slice: V1EndpointSlice): SliceView | undefined {
  if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') return undefined;
  const ports: SlicePort[] = [];
  // A slice port without a number means "all ports" and cannot form a host key.
  for (const p of slice.ports ?? []) if (typeof p.port === 'number') ports.push({ name: p.name ?? '', port: p.port });
  const endpoints = (slice.endpoints ?? []).map((e): SliceEndpoint => {
    const c = e.conditions ?? {};
    return {
      addresses: e.addresses ?? [],
      ...(e.targetRef?.kind === 'Pod' && e.targetRef.name ? { podName: e.targetRef.name } : {}),
      ...(typeof c.ready === 'boolean' ? { ready: c.ready } : {}),
      ...(typeof c.serving === 'boolean' ? { serving: c.serving } : {}),
      ...(typeof c.terminating === 'boolean' ? { terminating: c.terminating } : {}),
    };
  });
  return { ports, endpoints };
}

/** The `port` option: a port name (= Service port name = slice port name) or a number. */
export type PortSelector = string | number | undefined;

export function normalizePortSelector(port: string | number | undefined): PortSelector {
  if (port === undefined || typeof port === 'number') return port;
  // Kubernetes port names must contain a letter, so an all-digit string is a number.
  return /^\d+$/.test(port) ? Number(port) : port;
}

/**
 * Which slice port name the mirror follows. A number is first looked up among the Service's ports
 * (so `80` finds the port named for Service port 80, whatever its targetPort), then taken as a
 * slice (target) port number. Without a selector the slices must carry exactly one port name.
 */
export type PortChoice = { byName: string } | { byNumber: number } | { ambiguous: readonly string[] };

export function choosePort(selector: PortSelector, service: V1Service | undefined, slices: Iterable<SliceView>): PortChoice {
  if (typeof selector === 'string') return { byName: selector };
  if (typeof selector === 'number') {
    const servicePort = service?.spec?.ports?.find((p) => p.port === selector);
    return servicePort ? { byName: servicePort.name ?? '' } : { byNumber: selector };
  }
  const names = new Set<string>();
  for (const s of slices) for (const p of s.ports) names.add(p.name);
  // No slice port at all: nothing to key, which an empty endpoint set already says.
  if (names.size <= 1) return { byName: names.values().next().value ?? '' };
  return { ambiguous: [...names].sort() };
}

/** The slice's port number for the choice; each slice may map the name to its own number. */
export function portOf(slice: SliceView, choice: PortChoice): number | undefined {
  if ('byName' in choice) return slice.ports.find((p) => p.name === choice.byName)?.port;
  if ('byNumber' in choice) return slice.ports.find((p) => p.port === choice.byNumber)?.port;
  return undefined;
}
