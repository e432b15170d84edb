// Shared test plumbing: wait for a condition (never for a fixed time), and a KubernetesEndpoints
// wired to a fake API server with fast retries, recording changes and reported errors.
import { createLogger } from '../../src/telemetry/index.js';
import { KubernetesEndpoints, type EndpointSnapshot, type KubeRequestError, type KubernetesEndpointsOptions, type WatchedKind } from '../../src/endpoints/index.js';
import type { FakeKube } from '../fake-kube/index.js';

export const NS = 'mcp';
export const SERVICE = 'mcp-server';

/** Polls until cond() is truthy; fails with `what` after a generous timeout. */
export async function until(cond: () => unknown, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export interface Mirror {
  source: KubernetesEndpoints;
  changes: EndpointSnapshot[];
  errors: { kind: WatchedKind; err: KubeRequestError }[];
  /** The mirror's envoyHosts right now. */
  hosts(): readonly string[];
}

export function mirror(kube: FakeKube, opts: Partial<KubernetesEndpointsOptions> = {}): Mirror {
  const changes: EndpointSnapshot[] = [];
  const errors: Mirror['errors'] = [];
  const source = new KubernetesEndpoints({
    kubeConfig: kube.kubeConfig(),
    namespace: NS,
    service: SERVICE,
    logger: createLogger('silent'),
    retry: { initialDelayMs: 10, maxDelayMs: 50 },
    onWatchError: (kind, err) => errors.push({ kind, err }),
    ...opts,
  });
  source.onChange((s) => changes.push(s));
  return { source, changes, errors, hosts: () => source.snapshot().envoyHosts };
}

/** How many list (not watch) requests the fake saw for a resource path suffix. */
export function lists(kube: FakeKube, resource: 'endpointslices' | 'pods'): number {
  return kube.requests.filter((r) => !r.watch && r.path.endsWith(`/${resource}`)).length;
}
