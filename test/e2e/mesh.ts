// A small "mesh" for the Kubernetes e2e suites: MCP pods on their own loopback addresses
// (127.0.0.x, one shared port, as pods share a targetPort), the fake API server holding their
// EndpointSlice, Pods and Service, and envoy-sim's cluster kept in step with what istiod would send
// (reference/envoy.md §3.6). Tracks every MCP session a test opens, so a suite can check at the end
// that no request of any session ever reached another pod than the one that created it.
import assert from 'node:assert/strict';
import { DRAIN_ANNOTATION } from '../../src/endpoints/index.js';
import { endpointSlice, pod as podObject, service, startFakeKube, type EndpointState, type FakeKube } from '../fake-kube/index.js';
import { connectClient, freePort, startMcpPod, type McpPod } from '../fixtures/index.js';
import { ADMIN_TOKEN, AFFINITY, pinningConfig, podOf } from './pinning.js';
import { startStack, type Stack } from './stack.js';

export const NS = 'mcp';
export const SERVICE = 'mcp-server';
const SLICE = 'mcp-server-x7k2p';

export interface MeshPodSpec {
  name: string;
  ip: string;
  state: EndpointState;
  drain: boolean;
}

/** Polls until cond() holds; fails with `what` after a generous timeout (no fixed sleeps). */
export async function until(cond: () => unknown | Promise<unknown>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export class FakeMesh {
  readonly specs = new Map<string, MeshPodSpec>();
  private serviceLabels: Record<string, string> = {};

  private constructor(
    readonly kube: FakeKube,
    readonly port: number,
  ) {}

  static async start(opts: { serviceLabels?: Record<string, string> } = {}): Promise<FakeMesh> {
    const mesh = new FakeMesh(await startFakeKube(), await freePort());
    mesh.serviceLabels = opts.serviceLabels ?? {};
    mesh.kube.setService(NS, service({ name: SERVICE, labels: mesh.serviceLabels, ports: [{ name: 'http', port: 80, targetPort: mesh.port }] }));
    return mesh;
  }

  /** The n-th pod's address: 127.0.0.(n+2). */
  ipOf(n: number): string {
    return `127.0.0.${n + 2}`;
  }

  hostOf(name: string): string {
    const s = this.specs.get(name);
    if (!s) throw new Error(`no pod ${name}`);
    return `${s.ip}:${this.port}`;
  }

  /** Starts an MCP pod process on the next loopback address (not yet in the slice). */
  async startPod(name: string): Promise<McpPod> {
    const ip = this.ipOf(this.specs.size);
    this.specs.set(name, { name, ip, state: 'ready', drain: false });
    const p = await startMcpPod({ name, host: ip, port: this.port });
    assert.equal(p.hostKey, this.hostOf(name));
    return p;
  }

  /** Writes the EndpointSlice (pods in `members`) and every Pod object (with the drain annotation when set). */
  publish(members: readonly string[]): void {
    const endpoints = members.map((name) => {
      const s = this.specs.get(name)!;
      return { addresses: [s.ip], pod: name, state: s.state };
    });
    this.kube.upsertSlice(NS, endpointSlice({ name: SLICE, service: SERVICE, ports: [{ name: 'http', port: this.port }], endpoints }));
    for (const s of this.specs.values()) {
      this.kube.upsertPod(NS, podObject({ name: s.name, ip: s.ip, ...(s.drain ? { annotations: { [DRAIN_ANNOTATION]: 'true' } } : {}) }));
    }
  }

  /** What istiod sends over EDS for `members`: HEALTHY ready pods; DRAINING terminating-serving ones under a persistent-session label. */
  eds(members: readonly string[]): { healthy: string[]; draining: string[] } {
    const persistent = Object.keys(this.serviceLabels).some((l) => l.startsWith('istio.io/persistent-session'));
    const specs = members.map((m) => this.specs.get(m)!);
    return {
      healthy: specs.filter((s) => s.state === 'ready').map((s) => this.hostOf(s.name)),
      draining: persistent ? specs.filter((s) => s.state === 'terminating').map((s) => this.hostOf(s.name)) : [],
    };
  }

  async close(): Promise<void> {
    await this.kube.close();
  }
}

export interface AdminPod {
  host: string;
  inLoadBalancer: boolean;
  ready: boolean;
  terminating: boolean;
  converging: boolean;
  drainingSince?: number;
  drainSource?: string;
  liveSessions: number;
}

export async function adminPods(stack: Stack, base = stack.httpBase): Promise<AdminPod[]> {
  const r = await fetch(`${base}/admin/pods`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  assert.equal(r.status, 200);
  const body = (await r.json()) as { servers: Array<{ server: string; pods: AdminPod[] }> };
  return body.servers.find((s) => s.server === 'demo')?.pods ?? [];
}

/** Waits until mcpgw's /admin/pods shows `check` true for pod `host` (undefined: the pod is not listed). */
export async function untilAdminPod(stack: Stack, host: string, check: (p: AdminPod | undefined) => boolean, what: string): Promise<void> {
  await until(async () => check((await adminPods(stack)).find((p) => p.host === host)), `mcpgw sees ${host}: ${what}`);
}

type SdkClient = Awaited<ReturnType<typeof connectClient>>;

/** One MCP session of a test: the SDK client, the pod that created it, and every pod that served it. */
export interface TrackedSession {
  client: SdkClient['client'];
  transport: SdkClient['transport'];
  id: string;
  pod: string;
  calls: number;
}

/** Every session a suite opened: id → creating pod, for the "never a wrong pod" check. */
export class SessionLedger {
  readonly owner = new Map<string, string>();
  readonly open: TrackedSession[] = [];

  constructor(private readonly url: () => string) {}

  /** initialize + one whoami; the pod that answers is the session's pod. */
  async start(): Promise<TrackedSession> {
    const { client, transport } = await connectClient(this.url());
    const first = await podOf(client);
    assert.equal(first.session, transport.sessionId);
    this.owner.set(first.session, first.pod);
    const s: TrackedSession = { client, transport, id: first.session, pod: first.pod, calls: 1 };
    this.open.push(s);
    return s;
  }

  /** n whoami calls; each must be served by the session's own pod. */
  async call(s: TrackedSession, n = 1): Promise<void> {
    for (let i = 0; i < n; i++) {
      const r = await podOf(s.client);
      assert.equal(r.pod, s.pod, `session ${s.id} of ${s.pod} served by ${r.pod}`);
      assert.equal(r.session, s.id);
      s.calls++;
    }
  }

  /** The next call must fail with the HTTP 404 that tells the client to re-initialize. */
  async expectLost(s: TrackedSession): Promise<void> {
    await assert.rejects(podOf(s.client), (e: { code?: number }) => e.code === 404, `session ${s.id} of ${s.pod} should get 404`);
  }

  /** What an SDK 1.x application does after a 404: a new transport and initialize (the client does not do it itself). */
  async reinitialize(s: TrackedSession): Promise<TrackedSession> {
    await s.client.close();
    this.open.splice(this.open.indexOf(s), 1);
    return this.start();
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.open.splice(0).map((s) => s.client.close().catch(() => undefined)));
  }

  /**
   * No request carrying a session id reached another pod than the session's creator: checked on what
   * every pod received and on envoy-sim's upstream log.
   */
  assertNeverWrongPod(pods: readonly McpPod[], stack: Stack): void {
    const byHost = new Map(pods.map((p) => [p.hostKey, p.name]));
    let checked = 0;
    for (const p of pods) {
      for (const r of p.requests) {
        const id = r.headers['mcp-session-id'];
        if (typeof id !== 'string') continue;
        assert.equal(this.owner.get(id), p.name, `${p.name} received a request of session ${id} (owner ${this.owner.get(id)})`);
        checked++;
      }
    }
    for (const e of stack.sim.log) {
      const id = e.upstreamHeaders?.['mcp-session-id'];
      if (!e.upstream || typeof id !== 'string') continue;
      assert.equal(byHost.get(e.upstream), this.owner.get(id), `sim routed session ${id} to ${e.upstream}`);
    }
    assert.ok(checked > 0, 'some session requests were checked');
  }
}

/** A stack whose pods come from the fake API server's EndpointSlice, with envoy-sim proxies following it. */
export interface MeshStack {
  mesh: FakeMesh;
  stack: Stack;
  /** Pods in the EndpointSlice, in slice order. */
  members: string[];
  /** The slice to the API server now (mcpgw's watch sees it at once), to every proxy after its EDS lag. */
  publish(): void;
  pod(name: string): McpPod;
}

export interface MeshStackOptions {
  lb: 'ring_hash' | 'maglev';
  /** One proxy per entry, each with this EDS lag (ms). */
  lagsMs: readonly number[];
  podNames: string[];
  /** Extra fields of the server's config (affinity, recovery). */
  server?: Record<string, unknown>;
  /** Extra top-level config (a Redis store). */
  top?: Record<string, unknown>;
  replicas?: number;
}

export async function startMeshStack(o: MeshStackOptions): Promise<MeshStack> {
  const mesh = await FakeMesh.start();
  const pods: McpPod[] = [];
  for (const name of o.podNames) pods.push(await mesh.startPod(name));
  mesh.publish(o.podNames);
  const stack = await startStack({
    pods: [],
    replicas: o.replicas ?? 1,
    config: pinningConfig(null, { server: { endpoints: { kubernetes: { namespace: NS, service: SERVICE } }, ...o.server }, ...(o.top ? { top: o.top } : {}) }),
    service: { kubeConfigFor: () => mesh.kube.kubeConfig() },
    cluster: { lb: o.lb, hashHeader: AFFINITY, endpoints: pods.map((p) => p.hostKey) },
    sim: { edsDelayMs: o.lagsMs[0] ?? 0 },
    proxies: o.lagsMs.slice(1).map((edsDelayMs) => ({ edsDelayMs })),
  });
  stack.pods.push(...pods);
  for (const base of stack.httpBases) await until(async () => (await fetch(`${base}/readyz`)).status === 200, `${base} ready`);
  for (const p of pods) await untilAdminPod(stack, p.hostKey, (a) => a?.inLoadBalancer === true && !a.converging, 'in the LB');
  const ms: MeshStack = {
    mesh,
    stack,
    members: [...o.podNames],
    publish() {
      mesh.publish(ms.members);
      const eds = mesh.eds(ms.members);
      for (const sim of stack.sims) sim.setEndpoints('mcp', eds.healthy, { draining: eds.draining });
    },
    pod: (name) => stack.pods.find((p) => p.name === name) as McpPod,
  };
  return ms;
}
