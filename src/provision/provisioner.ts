// Deploys and removes the Kubernetes objects of one MCP server, in allowed namespaces only. Creation is
// all or nothing (a failure deletes what this call created); removal deletes only objects that carry
// mcpgw's managed-by and owner labels, each by its uid, so nothing it did not create is touched.
import type { ServerConfig } from '../config/index.js';
import type { Logger } from '../telemetry/index.js';
import type { DeploySpec } from './deploySpec.js';
import { serverHealth, type ServerHealth } from './health.js';
import { ProvisionError } from './contract.js';
import type { ProvisionApi } from './kube.js';
import { manifests, ownedBy, refOf, selectorString, type ObjectRef, type WorkloadKind } from './objects.js';

const KINDS_IN_REMOVAL_ORDER = [
  { apiVersion: 'mcpgw.io/v1alpha1', kind: 'MCPServer' },
  { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule' },
  { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'v1', kind: 'Service' },
] as const;

export class Provisioner {
  constructor(
    private readonly api: ProvisionApi,
    private readonly logger: Logger,
  ) {}

  /** Creates the server's objects (with its MCPServer when `resourceSpec` is given); any failure removes the ones already created and rethrows. */
  async deploy(server: string, kind: WorkloadKind, d: DeploySpec, affinity: ServerConfig['affinity'], resourceSpec?: Record<string, unknown>): Promise<ObjectRef[]> {
    const wanted = manifests(server, kind, d, affinity, resourceSpec);
    // A same-named object mcpgw did not create is never replaced or adopted.
    for (const m of wanted) {
      const existing = await this.api.read(refOf(m));
      if (existing) throw new ProvisionError(refOf(m), 409, ownedBy(existing.labels, server) ? 'already exists (left from an earlier registration: remove_server cleans it up)' : 'already exists and is not managed by mcpgw');
    }
    const created: ObjectRef[] = [];
    try {
      for (const m of wanted) {
        await this.api.create(m);
        created.push(refOf(m));
      }
    } catch (err) {
      await this.deleteOwned(server, created.reverse());
      throw err;
    }
    // Never the objects themselves: environment values stay out of logs.
    this.logger.info({ server, namespace: d.namespace, objects: created.map((r) => `${r.kind}/${r.name}`) }, 'provisioned MCP server objects');
    return created;
  }

  /** Deletes what mcpgw created for `server` in `namespace`; returns exactly what was deleted. */
  async remove(server: string, namespace: string): Promise<ObjectRef[]> {
    const deleted = await this.deleteOwned(
      server,
      KINDS_IN_REMOVAL_ORDER.map((k) => ({ ...k, namespace, name: server })),
    );
    this.logger.info({ server, namespace, objects: deleted.map((r) => `${r.kind}/${r.name}`) }, 'removed provisioned MCP server objects');
    return deleted;
  }

  /** The owned workload's desired replicas; undefined when the server has none mcpgw created. */
  async workload(server: string, namespace: string): Promise<{ kind: string; replicas: number } | undefined> {
    for (const kind of ['StatefulSet', 'Deployment']) {
      const o = await this.api.read({ kind, namespace, name: server });
      if (o && ownedBy(o.labels, server)) return { kind, replicas: o.replicas ?? 1 };
    }
    return undefined;
  }

  async health(server: string, namespace: string, desiredReplicas: number, readyEndpoints: number): Promise<ServerHealth> {
    return serverHealth(desiredReplicas, readyEndpoints, await this.api.pods(namespace, selectorString(server)));
  }

  private async deleteOwned(server: string, refs: readonly ObjectRef[]): Promise<ObjectRef[]> {
    const deleted: ObjectRef[] = [];
    for (const ref of refs) {
      const existing = await this.api.read(ref);
      if (!existing) continue;
      if (!ownedBy(existing.labels, server)) {
        this.logger.warn({ server, object: `${ref.kind} ${ref.namespace}/${ref.name}` }, 'not deleted: not created by mcpgw for this server');
        continue;
      }
      try {
        await this.api.delete(ref, existing.uid);
        deleted.push(ref);
      } catch (err) {
        // Gone in between (404) or replaced (409, uid precondition): either way not ours to delete now.
        if (err instanceof ProvisionError && (err.status === 404 || err.status === 409)) continue;
        throw err;
      }
    }
    return deleted;
  }
}
