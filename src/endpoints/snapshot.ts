// The endpoint set Istio programs into Envoy, computed from EndpointSlices the way istiod does
// (pilot/pkg/serviceregistry/kube/controller/endpointslice.go, endpointHealthStatus; reference/envoy.md §3.6).
import { hostKey, isEndpointAddress } from './hostKey.js';
import { portOf, type PortChoice, type SliceEndpoint, type SliceView } from './slices.js';
import type { Endpoint, EndpointSnapshot } from './types.js';

export interface SnapshotInput {
  synced: boolean;
  /** Oldest update first: when an address sits in two slices (it is moving between them), the fresher slice wins. */
  slices: readonly SliceView[];
  port: PortChoice;
  drainRequested: ReadonlySet<string>;
  persistentSession: boolean;
}

export function buildSnapshot(input: SnapshotInput): EndpointSnapshot {
  const byKey = new Map<string, { endpoint: Endpoint; inEnvoy: boolean }>();
  for (const slice of input.slices) {
    const port = portOf(slice, input.port);
    if (port === undefined) continue;
    for (const e of slice.endpoints) {
      for (const address of e.addresses) {
        // The API server validates slice addresses; a bad one is skipped rather than failing the whole set.
        if (!isEndpointAddress(address)) continue;
        const key = hostKey(address, port);
        byKey.set(key, { endpoint: endpointOf(key, e, input.drainRequested), inEnvoy: inEnvoy(e, input.persistentSession) });
      }
    }
  }
  const keys = [...byKey.keys()].sort(byCodeUnits);
  return Object.freeze({
    synced: input.synced,
    endpoints: Object.freeze(keys.map((k) => byKey.get(k)!.endpoint)),
    envoyHosts: Object.freeze(keys.filter((k) => byKey.get(k)!.inEnvoy)),
    persistentSession: input.persistentSession,
  });
}

export function sameSnapshot(a: EndpointSnapshot, b: EndpointSnapshot): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * istiod sends HEALTHY endpoints (ready unset or true); a not-ready one goes out as DRAINING only
 * for a persistent-session Service, and then only while serving and terminating, where istiod reads
 * an unset condition as true. Everything else is UNHEALTHY and not sent (or skipped by the LB).
 */
function inEnvoy(e: SliceEndpoint, persistentSession: boolean): boolean {
  if (e.ready ?? true) return true;
  return persistentSession && (e.serving ?? true) && (e.terminating ?? true);
}

function endpointOf(key: string, e: SliceEndpoint, drainRequested: ReadonlySet<string>): Endpoint {
  const ready = e.ready ?? true;
  return Object.freeze({
    hostKey: key,
    ...(e.podName !== undefined ? { podName: e.podName } : {}),
    ready,
    serving: e.serving ?? ready,
    terminating: e.terminating ?? false,
    drainRequested: e.podName !== undefined && drainRequested.has(e.podName),
  });
}
