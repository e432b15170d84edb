// MCPServer resources as a configuration source: list/watched with the endpoints module's reflector,
// each new or changed spec handed to the live configuration, and the outcome written back as the
// resource's Accepted / Ready conditions through the status subresource, so `kubectl get mcpservers`
// tells the truth. Only spec changes (not mcpgw's own status writes) are re-evaluated.
import { CustomObjectsApi, PatchStrategy, Watch, setHeaderOptions, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { KubeRequestError, Reflector, kubeCall } from '../endpoints/index.js';
import type { Logger } from '../telemetry/index.js';
import type { ConfigProblem } from './catalog.js';
import type { ChangedItem, DeclaredServer } from './compose.js';
import { MCPSERVER, declaredServer, type Condition, type McpServerObject } from './mcpServer.js';

export interface KubernetesTarget {
  setKubernetes(ref: string, server: DeclaredServer | undefined): Promise<{ ok: true } | { ok: false; problems: ConfigProblem[] }>;
  /** Where the server of this name comes from now. */
  originOf(name: string): ChangedItem | undefined;
  /** Called after every applied change (a server of another source may now take precedence). */
  onApplied(listener: () => void): () => void;
}

export interface McpServerWatchOptions {
  kubeConfig: KubeConfig;
  /** [] watches every namespace. */
  namespaces: readonly string[];
  resyncSeconds: number;
  logger: Logger;
  target: KubernetesTarget;
  onError?: (err: KubeRequestError) => void;
}

interface Seen {
  obj: McpServerObject;
  /** The spec as last handed on, to tell spec changes from status-only ones. */
  spec: string;
}

type Written = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

interface Outcome {
  accepted: Written;
  /** For a refusal; an accepted spec's readiness is read from the running configuration when written. */
  ready?: Written;
  /** The accepted server's name. */
  server?: string;
  /** A valid spec refused for a reason outside it (a claim taken by another server): retried on later changes. */
  retry?: DeclaredServer;
}

const MAX_MESSAGE_CHARS = 1024;

export class McpServerWatch {
  private readonly api: CustomObjectsApi;
  private readonly reflectors: Array<Reflector<McpServerObject>>;
  private readonly abort = new AbortController();
  private readonly handled = new Map<string, Seen>();
  private readonly outcomes = new Map<string, Outcome>();
  /** Refs whose spec was valid and served at some point (a later refusal leaves that version serving). */
  private readonly served = new Set<string>();
  private chain: Promise<void> = Promise.resolve();
  private listedAll = false;
  private readonly stopApplied: () => void;

  constructor(private readonly o: McpServerWatchOptions) {
    this.api = o.kubeConfig.makeApiClient(CustomObjectsApi);
    const watch = new Watch(o.kubeConfig);
    const { group, version, plural } = MCPSERVER;
    const scopes: Array<string | undefined> = o.namespaces.length ? [...o.namespaces] : [undefined];
    this.reflectors = scopes.map(
      (namespace) =>
        new Reflector<McpServerObject>({
          kind: 'mcpservers',
          watch,
          path: namespace ? `/apis/${group}/${version}/namespaces/${encodeURIComponent(namespace)}/${plural}` : `/apis/${group}/${version}/${plural}`,
          list: async (signal) => {
            const list = (await kubeCall('mcpservers', signal, (opts) =>
              namespace ? this.api.listNamespacedCustomObject({ group, version, plural, namespace }, opts) : this.api.listClusterCustomObject({ group, version, plural }, opts),
            )) as { items?: KubernetesObject[]; metadata?: { resourceVersion?: string } };
            return { items: list.items ?? [], resourceVersion: list.metadata?.resourceVersion ?? '' };
          },
          project: (obj) => obj as McpServerObject,
          resyncMs: o.resyncSeconds * 1000,
          logger: o.logger,
          onStoreChange: () => this.schedule(),
          onError: (err) => o.onError?.(err),
        }),
    );
    // Another source's server of the same name changes this resource's readiness, not its spec.
    this.stopApplied = o.target.onApplied(() => this.schedule());
  }

  /** Resolves once every scope has been listed and handled; rejects on a fatal first list (RBAC, no CRD). */
  async start(): Promise<void> {
    await Promise.all(this.reflectors.map((r) => r.start(this.abort.signal)));
    await this.chain;
    this.listedAll = true;
  }

  /** Every watched namespace listed and its resources handed on (readiness waits for it). */
  get synced(): boolean {
    return this.listedAll;
  }

  async stop(): Promise<void> {
    this.stopApplied();
    this.abort.abort();
    await Promise.all(this.reflectors.map((r) => r.stopped()));
    await this.chain.catch(() => undefined);
  }

  private schedule(): void {
    this.chain = this.chain.then(() => this.sync()).catch((err: unknown) => this.o.logger.error({ err: (err as Error).message }, 'MCPServer sync failed'));
  }

  /** Hands on new, changed and deleted specs; then writes every status that differs from its outcome. */
  private async sync(): Promise<void> {
    const now = new Map<string, McpServerObject>();
    for (const r of this.reflectors) for (const obj of r.values()) now.set(refOf(obj), obj);
    let structural = false;
    for (const ref of [...this.handled.keys()]) {
      if (now.has(ref)) continue;
      this.handled.delete(ref);
      this.outcomes.delete(ref);
      this.served.delete(ref);
      await this.o.target.setKubernetes(ref, undefined);
      structural = true;
    }
    for (const [ref, obj] of now) {
      const spec = JSON.stringify([obj.metadata?.name, obj.spec ?? null]);
      const before = this.handled.get(ref);
      this.handled.set(ref, { obj, spec });
      if (before?.spec === spec) continue;
      this.outcomes.set(ref, await this.evaluate(ref, obj));
      structural = true;
    }
    // A claim another resource held may be free now.
    if (structural) {
      for (const [ref, outcome] of this.outcomes) if (outcome.retry) this.outcomes.set(ref, await this.offer(ref, outcome.retry));
    }
    for (const [ref, obj] of now) await this.writeStatus(ref, obj);
  }

  private async evaluate(ref: string, obj: McpServerObject): Promise<Outcome> {
    const declared = declaredServer(obj);
    if (!declared.ok) return this.refusal(ref, 'InvalidSpec', declared.problems.map((p) => ({ path: p.path.map(String).join('.'), message: p.message })));
    return this.offer(ref, declared.server);
  }

  private async offer(ref: string, server: DeclaredServer): Promise<Outcome> {
    const r = await this.o.target.setKubernetes(ref, server);
    if (!r.ok) return { ...this.refusal(ref, reasonOf(r.problems), r.problems), retry: server };
    this.served.add(ref);
    // No version in the messages: every replica writes the same words, so they never fight over the status.
    return { accepted: { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'the spec is valid and part of the running configuration' }, server: server.name };
  }

  private readiness(ref: string, outcome: Outcome): Written {
    if (outcome.ready) return outcome.ready;
    const origin = outcome.server !== undefined ? this.o.target.originOf(outcome.server) : undefined;
    if (origin && (origin.source !== 'kubernetes' || origin.ref !== ref)) {
      return { type: 'Ready', status: 'False', reason: 'Overridden', message: `a server of the same name from ${origin.source} ${origin.ref} takes precedence` };
    }
    return { type: 'Ready', status: 'True', reason: 'Serving', message: 'requests are decided by this spec' };
  }

  private refusal(ref: string, reason: string, problems: readonly ConfigProblem[]): Outcome {
    const message = bounded(problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; '));
    return {
      accepted: { type: 'Accepted', status: 'False', reason, message },
      ready: this.served.has(ref)
        ? { type: 'Ready', status: 'True', reason: 'PreviousVersionServing', message: 'the last accepted spec keeps serving until this one is fixed' }
        : { type: 'Ready', status: 'False', reason: 'NotServing', message: 'no accepted spec yet' },
    };
  }

  private async writeStatus(ref: string, obj: McpServerObject): Promise<void> {
    const outcome = this.outcomes.get(ref);
    if (!outcome) return;
    const generation = obj.metadata?.generation;
    const old = obj.status?.conditions ?? [];
    const at = new Date().toISOString();
    const conditions = [outcome.accepted, this.readiness(ref, outcome)].map((c): Condition => {
      const prior = old.find((p) => p.type === c.type);
      return { ...c, ...(generation !== undefined ? { observedGeneration: generation } : {}), lastTransitionTime: prior && prior.status === c.status ? prior.lastTransitionTime : at };
    });
    const unchanged = obj.status?.observedGeneration === generation && conditions.every((c) => old.some((p) => p.type === c.type && p.status === c.status && p.reason === c.reason && p.message === c.message && p.observedGeneration === c.observedGeneration));
    if (unchanged) return;
    const { group, version, plural } = MCPSERVER;
    const name = obj.metadata?.name ?? '';
    const namespace = obj.metadata?.namespace ?? '';
    try {
      await kubeCall('mcpservers', this.abort.signal, (opts) =>
        this.api.patchNamespacedCustomObjectStatus({ group, version, plural, namespace, name, body: { status: { ...(generation !== undefined ? { observedGeneration: generation } : {}), conditions } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch, opts)),
      );
    } catch (err) {
      this.o.logger.warn({ mcpserver: ref, err: (err as Error).message }, 'MCPServer status not written');
      if (err instanceof KubeRequestError) this.o.onError?.(err);
    }
  }
}

function refOf(obj: McpServerObject): string {
  return `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
}

function reasonOf(problems: readonly ConfigProblem[]): string {
  if (problems.some((p) => p.message.includes('already claimed by server'))) return 'HostConflict';
  if (problems.some((p) => p.message.includes('already declared by MCPServer') || p.message.includes('duplicate server name'))) return 'NameConflict';
  return 'InvalidSpec';
}

function bounded(s: string): string {
  return s.length > MAX_MESSAGE_CHARS ? `${s.slice(0, MAX_MESSAGE_CHARS - 1)}…` : s;
}
