// The management MCP endpoint of a running mcpgw, driven by a real MCP SDK 1.x client: list the tools,
// register and deploy a server through the fake Kubernetes API (every created object schema-checked),
// see it stuck and then ready from its pods and EndpointSlice, route data traffic to it through
// envoy-sim, drain a pod, end a session, set a quota, remove it (exactly the created objects deleted).
// Unauthenticated and under-scoped callers are refused; secrets never show in objects, results or logs.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { parseConfig } from '../../src/config/index.js';
import { ownerLabels } from '../../src/provision/index.js';
import { GatewayService } from '../../src/server/index.js';
import { createLogger } from '../../src/telemetry/index.js';
import { objectProblems } from '../deploy/k8sSchema.js';
import { endpointSlice, pod as podObject, startFakeKube, type FakeKube, type KubeObject } from '../fake-kube/index.js';
import { connectClient, freePort, startMcpPod, type McpPod } from '../fixtures/index.js';
import { Clock, TestIssuer, signingKey, type SigningKey } from '../identity/issuer.js';
import { until } from '../e2e/mesh.js';
import { podOf } from '../e2e/pinning.js';
import { startStack, type Stack } from '../e2e/stack.js';

const ADMIN_TOKEN = 'management-admin-token-7f3a';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const IMAGE = `ghcr.io/example/tickets@sha256:${'b'.repeat(64)}`;
const LITERAL_SECRET = 'hunter2-literal-secret-value-9d1c';

type ToolResult = { isError?: boolean; structuredContent?: Record<string, unknown>; content: Array<{ type: string; text?: string }> };

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<ToolResult> {
  return (await client.callTool({ name, arguments: args })) as ToolResult;
}

function errorText(r: ToolResult): string {
  assert.equal(r.isError, true, `expected a refusal, got ${JSON.stringify(r.structuredContent)}`);
  return r.content.map((c) => c.text ?? '').join('\n');
}

describe('management endpoint (admin token, provisioning)', () => {
  let kube: FakeKube;
  let stack: Stack;
  let mgmt: Client;
  let port: number;
  const pods: McpPod[] = [];
  const results: unknown[] = [];

  const running = (name: string, ip: string): KubeObject => podObject({ name, ip, labels: ownerLabels('tickets') });
  const publishReady = () => {
    kube.upsertSlice('mcp', endpointSlice({ name: 'tickets-x9z2q', service: 'tickets', ports: [{ name: 'http', port }], endpoints: pods.map((p, i) => ({ addresses: [`127.0.0.${i + 2}`], pod: p.name })) }));
    pods.forEach((p, i) => kube.upsertPod('mcp', running(p.name, `127.0.0.${i + 2}`)));
  };
  const tool = async (name: string, args: Record<string, unknown> = {}) => {
    const r = await call(mgmt, name, args);
    results.push(r);
    return r;
  };

  before(async () => {
    kube = await startFakeKube();
    port = await freePort();
    pods.push(await startMcpPod({ name: 'tickets-0', host: '127.0.0.2', port }), await startMcpPod({ name: 'tickets-1', host: '127.0.0.3', port }));
    const config = parseConfig(
      JSON.stringify({
        listen: { grpc: '127.0.0.1:0', http: '127.0.0.1:0' },
        shutdown: { graceSeconds: 1 },
        admin: { tokenSha256: sha256(ADMIN_TOKEN) },
        management: { enabled: true },
        provisioning: { enabled: true, namespaces: ['mcp'] },
        identity: { apiKeys: [{ name: 'acme-bot', sha256: sha256('acme-key'), tenant: 'acme' }] },
        limits: [{ name: 'calls', per: ['tenant'], quota: { requests: 100, window: 'hour' } }],
        servers: [{ name: 'demo', match: { hosts: ['demo.invalid'], pathPrefix: '/' } }],
      }),
    );
    if (!config.ok) throw new Error(config.problems.join('\n'));
    stack = await startStack({
      pods: [],
      config: config.config,
      service: { kubeConfigFor: () => kube.kubeConfig(), provisioningKubeConfig: () => kube.kubeConfig() },
      cluster: { lb: 'ring_hash', hashHeader: 'x-mcp-affinity', endpoints: [] },
    });
    mgmt = (await connectClient(`${stack.httpBase}/mcp`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).client;
  });

  after(async () => {
    await mgmt?.close();
    await stack?.close();
    await Promise.all(pods.map((p) => p.close()));
    await kube?.close();
  });

  it('refuses callers without the admin token', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong-token' }] as Array<Record<string, string>>) {
      const r = await fetch(`${stack.httpBase}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }) });
      assert.equal(r.status, 401);
      assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer /);
      assert.equal(((await r.json()) as { error: { code: number } }).error.code, -31401);
    }
    await assert.rejects(connectClient(`${stack.httpBase}/mcp`), /401/);
  });

  it('answers bad requests with a JSON-RPC error: GET, a body that is not JSON, a body over the limit', async () => {
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}`, accept: 'application/json, text/event-stream', 'content-type': 'application/json' };
    const get = await fetch(`${stack.httpBase}/mcp`, { headers: auth });
    assert.deepEqual([get.status, get.headers.get('allow')], [405, 'POST']);
    const notJson = await fetch(`${stack.httpBase}/mcp`, { method: 'POST', headers: auth, body: '{"jsonrpc":' });
    assert.equal(notJson.status, 400);
    assert.equal(((await notJson.json()) as { error: { code: number } }).error.code, -32700);
    const huge = await fetch(`${stack.httpBase}/mcp`, { method: 'POST', headers: auth, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { pad: 'x'.repeat(600 * 1024) } }) });
    assert.equal(huge.status, 413);
  });

  it('lists the tools with input and output schemas and annotations, and the resources', async () => {
    const { tools } = await mgmt.listTools();
    const byName = new Map(tools.map((t) => [t.name, t]));
    assert.deepEqual([...byName.keys()].sort(), ['drain_pod', 'end_session', 'get_server', 'list_pods', 'list_servers', 'list_sessions', 'register_server', 'remove_server', 'tenant_quota']);
    for (const t of tools) {
      assert.equal(t.inputSchema.type, 'object', t.name);
      assert.equal(t.outputSchema?.type, 'object', t.name);
    }
    for (const n of ['remove_server', 'drain_pod', 'end_session', 'tenant_quota']) assert.equal(byName.get(n)?.annotations?.destructiveHint, true, n);
    for (const n of ['list_servers', 'get_server', 'list_pods', 'list_sessions']) assert.equal(byName.get(n)?.annotations?.readOnlyHint, true, n);
    const deploy = (byName.get('register_server')?.inputSchema.properties as Record<string, { properties?: Record<string, unknown> }>).deploy;
    assert.ok(deploy?.properties?.image && deploy.properties.env, 'the deploy block is described in the input schema');
    const { resources } = await mgmt.listResources();
    assert.ok(resources.some((r) => r.uri === 'mcpgw://config') && resources.some((r) => r.uri === 'mcpgw://pods') && resources.some((r) => r.uri === 'mcpgw://servers/demo'));
    const { resourceTemplates } = await mgmt.listResourceTemplates();
    assert.deepEqual(resourceTemplates.map((t) => t.uriTemplate), ['mcpgw://servers/{name}']);
  });

  it('refuses an unpinned image, a namespace not allowed and a literal credential, clearly', async () => {
    const spec = { match: { hosts: ['127.0.0.1'], pathPrefix: '/mcp' } };
    const base = { namespace: 'mcp', image: IMAGE, port };
    assert.match(errorText(await tool('register_server', { name: 'tickets', spec, deploy: { ...base, image: 'ghcr.io/example/tickets:latest' } })), /INVALID_ARGUMENT: deploy\.image: "ghcr\.io\/example\/tickets:latest" is not pinned by digest/);
    assert.match(errorText(await tool('register_server', { name: 'tickets', spec, deploy: { ...base, namespace: 'kube-system' } })), /PERMISSION_DENIED: deploy\.namespace: "kube-system" is not allowed; provisioning\.namespaces allows mcp/);
    const literal = await call(mgmt, 'register_server', { name: 'tickets', spec, deploy: { ...base, env: [{ name: 'API_TOKEN', value: LITERAL_SECRET }] } });
    assert.match(errorText(literal), /API_TOKEN looks like a credential: give it as secret: \{name, key\}/);
    assert.doesNotMatch(JSON.stringify(literal), new RegExp(LITERAL_SECRET));
    assert.equal(kube.writes.created.length, 0, 'nothing was created');
    // The control API's ApplyServer takes the same deploy block, with the same refusals.
    const v1 = await fetch(`${stack.httpBase}/v1/servers/tickets`, { method: 'PUT', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ ...spec, deploy: { ...base, namespace: 'kube-system' } }) });
    assert.equal(v1.status, 403);
  });

  it('registers and deploys a server: schema-valid objects, secrets by reference only; a taken name is refused', async () => {
    const r = await tool('register_server', {
      name: 'tickets',
      spec: { match: { hosts: ['127.0.0.1'], pathPrefix: '/mcp' } },
      deploy: { namespace: 'mcp', image: IMAGE, port, replicas: 2, env: [{ name: 'LOG_LEVEL', value: 'debug' }, { name: 'API_TOKEN', secret: { name: 'tickets', key: 'token' } }], envFrom: [{ secret: 'tickets-env' }] },
    });
    assert.equal(r.isError, undefined, JSON.stringify(r.content));
    const objects = r.structuredContent?.objects as Array<{ kind: string; namespace: string; name: string }>;
    assert.deepEqual(objects.map((o) => `${o.kind}/${o.namespace}/${o.name}`), ['Service/mcp/tickets', 'StatefulSet/mcp/tickets', 'DestinationRule/mcp/tickets']);
    assert.deepEqual((r.structuredContent?.server as { spec: { endpoints: unknown } }).spec.endpoints, { kubernetes: { namespace: 'mcp', service: 'tickets', port: 'http', resyncSeconds: 300 } });
    assert.deepEqual(kube.writes.created.map((w) => `${w.kind}/${w.name}`), ['Service/tickets', 'StatefulSet/tickets', 'DestinationRule/tickets']);
    for (const w of kube.writes.created) {
      assert.deepEqual(await objectProblems(w.object!), []);
      assert.equal(w.object!.metadata.labels?.['app.kubernetes.io/managed-by'], 'mcpgw');
    }
    const sts = kube.writes.get('StatefulSet', 'mcp', 'tickets') as unknown as { spec: { template: { spec: { containers: Array<{ env: Array<{ name: string; valueFrom?: unknown }> }> } } } };
    assert.deepEqual(sts.spec.template.spec.containers[0]?.env.find((e) => e.name === 'API_TOKEN')?.valueFrom, { secretKeyRef: { key: 'token', name: 'tickets' } });
    assert.match(errorText(await tool('register_server', { name: 'tickets', spec: { match: { hosts: ['x.example'] } } })), /ALREADY_EXISTS: a server named "tickets" already exists/);
    assert.match(errorText(await tool('register_server', { name: 'demo', spec: { match: { hosts: ['x.example'] } } })), /ALREADY_EXISTS/);
  });

  it('reports the rollout stuck with the pod\'s reason, then ready when the endpoints are', async () => {
    kube.upsertPod('mcp', {
      ...running('tickets-0', '127.0.0.2'),
      status: { phase: 'Pending', containerStatuses: [{ name: 'server', ready: false, restartCount: 0, image: IMAGE, imageID: '', state: { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${IMAGE}"` } } }] },
    });
    await until(async () => ((await tool('get_server', { name: 'tickets' })).structuredContent?.deployment as { health: { state: string } } | undefined)?.health.state === 'stuck', 'stuck');
    const stuck = (await tool('get_server', { name: 'tickets' })).structuredContent?.deployment as { workload: string; health: { reasons: string[]; desiredReplicas: number } };
    assert.equal(stuck.workload, 'StatefulSet');
    assert.equal(stuck.health.desiredReplicas, 2);
    assert.match(stuck.health.reasons[0] ?? '', /^pod tickets-0: container server: ImagePullBackOff: Back-off pulling image/);
    publishReady();
    await until(async () => ((await tool('get_server', { name: 'tickets' })).structuredContent?.deployment as { health: { state: string } }).health.state === 'ready', 'ready', 30_000);
  });

  it('routes data traffic to the deployed pods, drains one, ends a session', async () => {
    stack.sim.setEndpoints('mcp', pods.map((p) => p.hostKey));
    const { client, transport } = await connectClient(stack.url);
    try {
      const first = await podOf(client);
      assert.ok(['tickets-0', 'tickets-1'].includes(first.pod));
      assert.equal(first.session, transport.sessionId);
      const listed = (await tool('list_pods', { server: 'tickets' })).structuredContent?.servers as Array<{ pods: Array<{ host: string; liveSessions: string }> }>;
      const host = pods.find((p) => p.name === first.pod)!.hostKey;
      assert.equal(listed[0]?.pods.find((p) => p.host === host)?.liveSessions, '1');
      const drained = await tool('drain_pod', { pod: host });
      assert.deepEqual({ pod: drained.structuredContent?.pod, draining: drained.structuredContent?.draining }, { pod: host, draining: true });
      assert.equal((await podOf(client)).pod, first.pod, 'a draining pod keeps its sessions');
      const sessions = (await tool('list_sessions', { server: 'tickets' })).structuredContent?.sessions as Array<{ id: string; pod: string }>;
      assert.deepEqual(sessions.map((s) => [s.id, s.pod]), [[first.session, host]]);
      const ended = await tool('end_session', { id: first.session });
      assert.equal(ended.structuredContent?.id, first.session);
      await assert.rejects(podOf(client), (e: { code?: number }) => e.code === 404);
      await tool('drain_pod', { pod: host, cancel: true });
    } finally {
      await client.close();
    }
  });

  it('gets and sets a known tenant\'s quota; an unknown tenant is refused', async () => {
    assert.match(errorText(await tool('tenant_quota', { tenant: 'nobody' })), /NOT_FOUND: unknown tenant "nobody"/);
    const set = await tool('tenant_quota', { tenant: 'acme', set: { calls: 5 } });
    const calls = (set.structuredContent?.limits as Array<{ name: string; effective: string; override?: string }>).find((l) => l.name === 'calls');
    assert.deepEqual({ effective: calls?.effective, override: calls?.override }, { effective: '5', override: '5' });
  });

  it('reads the resources', async () => {
    const server = await mgmt.readResource({ uri: 'mcpgw://servers/tickets' });
    assert.equal((JSON.parse((server.contents[0] as { text: string }).text) as { name: string }).name, 'tickets');
    const config = JSON.parse(((await mgmt.readResource({ uri: 'mcpgw://config' })).contents[0] as { text: string }).text) as { items: Array<{ name: string }> };
    assert.deepEqual(config.items.map((i) => i.name).sort(), ['demo', 'tickets']);
    await assert.rejects(mgmt.readResource({ uri: 'mcpgw://servers/nope' }), /NOT_FOUND/);
  });

  it('removes the server and exactly the objects it created', async () => {
    const r = await tool('remove_server', { name: 'tickets' });
    const deleted = (r.structuredContent?.deleted as Array<{ kind: string; name: string }>).map((o) => `${o.kind}/${o.name}`).sort();
    const created = kube.writes.created.map((w) => `${w.kind}/${w.name}`).sort();
    assert.deepEqual(deleted, created);
    assert.deepEqual(kube.writes.deleted.map((w) => `${w.kind}/${w.name}`).sort(), created);
    const servers = (await tool('list_servers')).structuredContent?.servers as Array<{ name: string }>;
    assert.deepEqual(servers.map((s) => s.name), ['demo']);
    assert.match(errorText(await tool('remove_server', { name: 'tickets' })), /NOT_FOUND/);
  });

  it('audits every call like a data-plane tool call, and no secret shows in objects, results or logs', () => {
    const audit = stack.logs.join('').split('\n').filter((l) => l.includes('"log":"audit"') && l.includes('"server":"mcpgw-management"')).map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(audit.some((a) => a.method === 'tools/call' && a.name === 'register_server' && a.decision === 'allow' && a.principal === 'admin'));
    assert.ok(audit.some((a) => a.name === 'register_server' && a.decision === 'deny' && a.reason === 'already_exists'));
    assert.ok(audit.some((a) => a.method === 'resources/read' && a.name === 'mcpgw://config'));
    const everything = [stack.logs.join(''), JSON.stringify(results), JSON.stringify(kube.writes.created)].join('\n');
    assert.doesNotMatch(everything, new RegExp(LITERAL_SECRET));
    assert.doesNotMatch(stack.logs.join(''), new RegExp(ADMIN_TOKEN));
  });
});

describe('management endpoint (OIDC issuer with a required scope)', () => {
  let issuer: TestIssuer;
  let key: SigningKey;
  let gateway: GatewayService;
  let base: string;
  const clock = new Clock(Date.now());

  before(async () => {
    key = await signingKey('ES256', 'm1');
    issuer = await TestIssuer.start(clock, [key]);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const config = parseConfig(
      JSON.stringify({
        listen: { grpc: '127.0.0.1:0', http: `127.0.0.1:${port}` },
        shutdown: { graceSeconds: 1 },
        identity: { issuers: [issuer.issuerOptions()] },
        management: { enabled: true, auth: { issuer: issuer.issuer, requiredScope: 'mcpgw:admin', resource: `${base}/mcp` } },
        servers: [{ name: 'demo', match: { hosts: ['demo.invalid'] } }],
      }),
    );
    if (!config.ok) throw new Error(config.problems.join('\n'));
    gateway = new GatewayService(config.config, createLogger('silent'), { auditStream: new Writable({ write: (_c, _e, cb) => cb() }) });
    await gateway.serve();
  });

  after(async () => {
    await gateway?.close();
    await issuer?.stop();
  });

  const token = (claims: Record<string, unknown>) => issuer.sign(key, { aud: `${base}/mcp`, ...claims });

  it('lets a token with the scope in', async () => {
    const { client } = await connectClient(`${base}/mcp`, { headers: { authorization: `Bearer ${await token({ scope: 'mcpgw:admin' })}` } });
    const r = await call(client, 'list_servers');
    assert.deepEqual((r.structuredContent?.servers as Array<{ name: string }>).map((s) => s.name), ['demo']);
    await client.close();
  });

  it('refuses an under-scoped token with 403 insufficient_scope, a token for another audience with 401', async () => {
    const post = async (t: string) =>
      fetch(`${base}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }) });
    const under = await post(await token({ scope: 'tools:read' }));
    assert.equal(under.status, 403);
    assert.match(under.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/);
    assert.match(under.headers.get('www-authenticate') ?? '', /scope="mcpgw:admin"/);
    const elsewhere = await post(await token({ scope: 'mcpgw:admin', aud: 'https://mcp.example.com/files' }));
    assert.equal(elsewhere.status, 401);
    const metadata = (await (await fetch(`${base}/.well-known/oauth-protected-resource/mcp`)).json()) as { resource: string; authorization_servers: string[]; scopes_supported: string[] };
    assert.deepEqual(metadata.authorization_servers, [issuer.issuer]);
    assert.deepEqual(metadata.scopes_supported, ['mcpgw:admin']);
  });
});
