// Registering and removing servers, with or without deploying them: a layer over the ControlService
// (which owns the configuration) and the Provisioner (which owns the Kubernetes objects). Used by the
// management MCP tools and by the control API's ApplyServer when a spec carries a `deploy` block.
// Every refusal is a ControlError naming the field at fault, so each view answers it its own way.
import { serverFieldsSchema, validatePart, type GatewayConfig } from '../config/index.js';
import type { KubeConfig } from '@kubernetes/client-node';
import { ControlError, type ControlMethods, type ControlService, type JsonObject } from '../control/index.js';
import { loadKubeConfig } from '../endpoints/index.js';
import type { ServerEntry } from '../liveconfig/index.js';
import type { Logger } from '../telemetry/index.js';
import { deploySchema, isPinned, type DeploySpec } from './deploySpec.js';
import type { ServerHealth } from './health.js';
import { ProvisionError } from './contract.js';
import type { ProvisionApi } from './kube.js';
import { endpointsOf, type ObjectRef } from './objects.js';
import { Provisioner } from './provisioner.js';

export type ProvisioningConfig = GatewayConfig['provisioning'];
/** Where mcpgw watches MCPServer resources (kubernetes.mcpServers). */
export type ResourceWatch = Pick<GatewayConfig['kubernetes']['mcpServers'], 'enabled' | 'namespaces'>;

/** How long a deploy through an MCPServer waits for mcpgw's own watch to serve (or drop) the server. */
const RESOURCE_WAIT_MS = 15_000;

export interface Registration {
  server: ServerEntry;
  /** The Kubernetes objects created, when the server was deployed. */
  objects: ObjectRef[];
}

export interface Removal {
  name: string;
  configVersion: string;
  /** Exactly the Kubernetes objects deleted (those mcpgw created for this server). */
  deleted: ObjectRef[];
}

export interface ServerStatus {
  server: ServerEntry;
  /** Present for a server whose workload mcpgw deployed. */
  deployment?: { namespace: string; workload: string; health: ServerHealth };
}

export class ServerRegistrar {
  /** Names being registered or removed now: a second call for the same name is refused, not interleaved. */
  private readonly busy = new Set<string>();

  constructor(
    private readonly control: ControlService,
    private readonly config: ProvisioningConfig,
    private readonly deps: { provisioner?: Provisioner; logger: Logger; resources?: ResourceWatch; waitMs?: number },
  ) {}

  /** A server deployed into a namespace whose MCPServers mcpgw watches is declared as one (kubectl shows it); else through the API. */
  private viaResource(namespace: string): boolean {
    const w = this.deps.resources;
    return w !== undefined && w.enabled && (w.namespaces.length === 0 || w.namespaces.includes(namespace));
  }

  get provisioningEnabled(): boolean {
    return this.config.enabled && this.deps.provisioner !== undefined;
  }

  async register(name: string, spec: Record<string, unknown> | undefined, deploy: unknown): Promise<Registration> {
    return this.exclusive(name, async () => {
      if (this.exists(name)) throw new ControlError('ALREADY_EXISTS', `a server named "${name}" already exists: remove it first, or choose another name`, [{ field: 'name', description: 'already taken' }]);
      if (deploy === undefined) return { server: await this.control.applyServer(name, spec), objects: [] };
      const provisioner = this.deps.provisioner;
      if (!this.config.enabled || !provisioner) throw new ControlError('FAILED_PRECONDITION', 'provisioning is off: set provisioning.enabled (and provisioning.namespaces) to deploy servers', [{ field: 'deploy', description: 'provisioning is off' }]);
      const d = this.checkDeploy(deploy);
      const item = this.checkSpec(name, spec);
      const kind = d.workload ?? this.config.workload;
      if (this.viaResource(d.namespace)) {
        const { name: _named, ...resourceSpec } = spec ?? {};
        const objects = await provisioner.deploy(name, kind, d, item.affinity, resourceSpec).catch(refusalOf);
        await this.until(() => this.exists(name), `the MCPServer ${d.namespace}/${name} was created, but mcpgw does not serve it yet: see its status conditions (kubectl get mcpserver -n ${d.namespace} ${name} -o yaml)`);
        return { server: this.control.server(name), objects };
      }
      const server = await this.control.applyServer(name, { ...spec, endpoints: endpointsOf(name, d) });
      try {
        return { server, objects: await provisioner.deploy(name, kind, d, item.affinity) };
      } catch (err) {
        // The registration is undone with the objects, so a failed deploy leaves nothing behind.
        await this.control.deleteServer(name).catch((e: unknown) => this.deps.logger.error({ server: name, err: (e as Error).message }, 'could not undo the registration of a failed deploy'));
        return refusalOf(err);
      }
    });
  }

  async remove(name: string): Promise<Removal> {
    return this.exclusive(name, async () => {
      const entry = this.control.server(name);
      const namespace = this.deployedNamespace(entry);
      const provisioner = this.deps.provisioner;
      // A server mcpgw declared as an MCPServer goes away with that resource, through mcpgw's watch.
      if (entry.origin.source === 'kubernetes' && namespace && provisioner && entry.origin.ref === `${namespace}/${name}`) {
        const deleted = await provisioner.remove(name, namespace).catch(kubeFailure);
        if (deleted.some((r) => r.kind === 'MCPServer')) {
          await this.until(() => !this.exists(name), `the MCPServer ${namespace}/${name} was deleted, but mcpgw still serves the server`);
          return { name, configVersion: this.control.configVersion().version, deleted };
        }
      }
      const configVersion = await this.control.deleteServer(name);
      const deleted = namespace && provisioner ? await provisioner.remove(name, namespace).catch(kubeFailure) : [];
      return { name, configVersion, deleted };
    });
  }

  async status(name: string): Promise<ServerStatus> {
    const server = this.control.server(name);
    const namespace = this.deployedNamespace(server);
    const provisioner = this.deps.provisioner;
    if (!namespace || !provisioner) return { server };
    const workload = await provisioner.workload(name, namespace).catch(kubeFailure);
    if (!workload) return { server };
    const pods = await this.control.pods(name).catch(() => []);
    const ready = pods.flatMap((s) => s.pods).filter((p) => p.inLoadBalancer && p.ready && !p.terminating).length;
    const health = await provisioner.health(name, namespace, workload.replicas, ready).catch(kubeFailure);
    return { server, deployment: { namespace, workload: workload.kind, health } };
  }

  private exists(name: string): boolean {
    try {
      this.control.server(name);
      return true;
    } catch (err) {
      if (err instanceof ControlError && err.code === 'NOT_FOUND') return false;
      throw err;
    }
  }

  /** The namespace of a server whose endpoints are a Service in an allowed namespace (where mcpgw may have deployed it). */
  private deployedNamespace(entry: ServerEntry): string | undefined {
    const k = entry.spec.endpoints && 'kubernetes' in entry.spec.endpoints ? entry.spec.endpoints.kubernetes : undefined;
    return k && k.service === entry.name && this.config.namespaces.includes(k.namespace) ? k.namespace : undefined;
  }

  private checkDeploy(deploy: unknown): DeploySpec {
    const r = validatePart(deploySchema, deploy);
    if (!r.ok) {
      const violations = r.problems.map((p) => ({ field: ['deploy', ...p.path.map(String)].join('.'), description: p.message }));
      throw new ControlError('INVALID_ARGUMENT', violations.map((v) => `${v.field}: ${v.description}`).join('; '), violations);
    }
    const d = r.value;
    if (!this.config.namespaces.includes(d.namespace)) {
      throw new ControlError('PERMISSION_DENIED', `deploy.namespace: "${d.namespace}" is not allowed; provisioning.namespaces allows ${this.config.namespaces.join(', ')}`, [{ field: 'deploy.namespace', description: 'not an allowed namespace' }]);
    }
    if (this.config.requireDigest && !isPinned(d.image)) throw ControlError.invalid('deploy.image', `"${d.image}" is not pinned by digest (name@sha256:<64 hex>), and provisioning.requireDigest is on`);
    return d;
  }

  /** The spec as the config would read it (defaults applied), for the affinity the DestinationRule mirrors. */
  private checkSpec(name: string, spec: Record<string, unknown> | undefined) {
    if (!spec) throw ControlError.invalid('spec', 'is required');
    if (spec.endpoints !== undefined) throw ControlError.invalid('spec.endpoints', 'must be left out when deploying: mcpgw points it at the Service it creates');
    const r = validatePart(serverFieldsSchema, { ...spec, name });
    if (!r.ok) {
      const violations = r.problems.map((p) => ({ field: ['spec', ...p.path.map(String)].join('.'), description: p.message }));
      throw new ControlError('INVALID_ARGUMENT', violations.map((v) => `${v.field}: ${v.description}`).join('; '), violations);
    }
    if (r.value.affinity.mode !== 'hash') throw ControlError.invalid('spec.affinity.mode', 'deployed servers use "hash" (the DestinationRule mcpgw creates hashes the affinity header)');
    return r.value;
  }

  private async until(cond: () => boolean, failure: string): Promise<void> {
    const deadline = Date.now() + (this.deps.waitMs ?? RESOURCE_WAIT_MS);
    while (!cond()) {
      if (Date.now() > deadline) throw new ControlError('UNAVAILABLE', failure);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private async exclusive<T>(name: string, fn: () => Promise<T>): Promise<T> {
    if (this.busy.has(name)) throw new ControlError('FAILED_PRECONDITION', `server "${name}" is being registered or removed by another call; retry when it finishes`);
    this.busy.add(name);
    try {
      return await fn();
    } finally {
      this.busy.delete(name);
    }
  }
}

/** A failed deploy as the refusal a caller understands: a name taken (409), forbidden (403), else unavailable. */
function refusalOf(err: unknown): never {
  if (err instanceof ProvisionError) throw new ControlError(err.status === 409 ? 'ALREADY_EXISTS' : err.status === 403 ? 'PERMISSION_DENIED' : 'UNAVAILABLE', `deploy failed: ${err.message}`, [{ field: 'deploy', description: err.message }]);
  throw err;
}

function kubeFailure(err: unknown): never {
  if (err instanceof ProvisionError) throw new ControlError('UNAVAILABLE', `Kubernetes: ${err.message}`);
  throw err;
}

/** The Kubernetes calls of provisioning; the client is loaded here, on first use. */
export async function provisionApi(kubeConfig: KubeConfig): Promise<ProvisionApi> {
  const { ProvisionApi } = await import('./kube.js');
  return new ProvisionApi(kubeConfig);
}

/** The registrar for this configuration: with a Provisioner when provisioning is enabled. */
export async function registrarFor(c: Pick<GatewayConfig, 'provisioning' | 'kubernetes'>, control: ControlService, logger: Logger, kubeConfig?: () => KubeConfig): Promise<ServerRegistrar> {
  const p = c.provisioning;
  const provisioner = p.enabled ? new Provisioner(await provisionApi(kubeConfig?.() ?? (await loadKubeConfig(p.kubeconfig ? { kubeconfig: p.kubeconfig } : {}))), logger) : undefined;
  return new ServerRegistrar(control, p, { logger, resources: c.kubernetes.mcpServers, ...(provisioner ? { provisioner } : {}) });
}

/**
 * The control API's ApplyServer, taking a `deploy` block in the spec: such an apply registers and
 * deploys a new server through the registrar; any other apply is the control service's own.
 */
export function withDeploy(methods: ControlMethods, registrar: ServerRegistrar): ControlMethods {
  const apply = methods.ApplyServer;
  return {
    ...methods,
    ApplyServer: async (r) => {
      const spec = r.spec as JsonObject | undefined;
      if (!spec || spec.deploy === undefined) return apply(r);
      const { deploy, ...rest } = spec;
      const name = typeof r.name === 'string' ? r.name : '';
      await registrar.register(name, rest, deploy);
      return methods.GetServer({ name });
    },
  };
}
