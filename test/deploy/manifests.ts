// The shipped deployment files, loaded once: rendered kustomizations, the meshConfig patch, Envoy's
// bootstrap, and lookups the cross-checks share.
import { findKustomizations, renderKustomization, renderKustomizations, type K8sObject } from './kustomize.js';
import { readYaml } from './repo.js';

export interface Rendered {
  dir: string;
  objects: K8sObject[];
}

/** Every kustomization under istio/, rendered by `kubectl kustomize`. */
export function renderAll(): Rendered[] {
  const dirs = findKustomizations('istio');
  renderKustomizations(dirs);
  return dirs.map((dir) => ({ dir, objects: renderKustomization(dir) }));
}

export function objectsOf(dir: string, kind: string): K8sObject[] {
  return renderKustomization(dir).filter((o) => o.kind === kind);
}

export function oneObject(dir: string, kind: string, name?: string): K8sObject {
  const found = objectsOf(dir, kind).filter((o) => name === undefined || o.metadata.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''} in ${dir}, found ${found.length}`);
  return found[0] as K8sObject;
}

/** Reads a dotted path ("spec.template.spec") from a plain object; undefined when absent. */
export function at(value: unknown, dotted: string): unknown {
  let v: unknown = value;
  for (const key of dotted.split('.')) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

export function envoyBootstrap(): Record<string, unknown> {
  const [doc] = readYaml('envoy/envoy.yaml');
  return doc as Record<string, unknown>;
}

/** The HTTP filters of the first HTTP connection manager in envoy/envoy.yaml, in order. */
export function envoyHttpFilters(): Array<{ name: string; typed_config: Record<string, unknown> }> {
  const listeners = at(envoyBootstrap(), 'static_resources.listeners') as unknown[];
  const chains = at(listeners[0], 'filter_chains') as unknown[];
  const filters = at(chains[0], 'filters') as unknown[];
  return at(filters[0], 'typed_config.http_filters') as Array<{ name: string; typed_config: Record<string, unknown> }>;
}

export function envoyVirtualHosts(): Array<Record<string, unknown>> {
  const listeners = at(envoyBootstrap(), 'static_resources.listeners') as unknown[];
  const chain = (at(listeners[0], 'filter_chains') as unknown[])[0];
  const hcm = (at(chain, 'filters') as unknown[])[0];
  return at(hcm, 'typed_config.route_config.virtual_hosts') as Array<Record<string, unknown>>;
}

export function envoyRoutes(): Array<Record<string, unknown>> {
  return envoyVirtualHosts().flatMap((vh) => at(vh, 'routes') as Array<Record<string, unknown>>);
}

export function envoyCluster(name: string): Record<string, unknown> {
  const clusters = at(envoyBootstrap(), 'static_resources.clusters') as Array<Record<string, unknown>>;
  const found = clusters.find((c) => c['name'] === name);
  if (!found) throw new Error(`envoy/envoy.yaml has no cluster ${name}`);
  return found;
}
