// Provisioning into a namespace whose MCPServer resources mcpgw watches: register_server declares the
// server as an MCPServer (validated against the shipped CRD) beside its workload, Service and
// DestinationRule, and mcpgw serves it through its own watch; remove_server deletes all four.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { parseConfig } from '../../src/config/index.js';
import { GatewayService } from '../../src/server/index.js';
import { createLogger } from '../../src/telemetry/index.js';
import { objectProblems } from '../deploy/k8sSchema.js';
import { startFakeKube, type FakeKube } from '../fake-kube/index.js';
import { connectClient } from '../fixtures/index.js';

const TOKEN = 'management-admin-token-crd';
const IMAGE = `ghcr.io/example/wiki@sha256:${'c'.repeat(64)}`;

type ToolResult = { isError?: boolean; structuredContent?: Record<string, unknown>; content: Array<{ text?: string }> };

describe('provisioning through MCPServer resources', () => {
  let kube: FakeKube;
  let gateway: GatewayService;
  let client: Client;
  const tool = async (name: string, args: Record<string, unknown> = {}) => (await client.callTool({ name, arguments: args })) as ToolResult;

  before(async () => {
    kube = await startFakeKube();
    const config = parseConfig(
      JSON.stringify({
        listen: { grpc: '127.0.0.1:0', http: '127.0.0.1:0' },
        shutdown: { graceSeconds: 1 },
        admin: { tokenSha256: createHash('sha256').update(TOKEN).digest('hex') },
        management: { enabled: true },
        provisioning: { enabled: true, namespaces: ['crd'], workload: 'Deployment' },
        kubernetes: { mcpServers: { enabled: true, namespaces: ['crd'] } },
        servers: [{ name: 'demo', match: { hosts: ['demo.invalid'] } }],
      }),
    );
    if (!config.ok) throw new Error(config.problems.join('\n'));
    gateway = new GatewayService(config.config, createLogger('silent'), {
      kubeConfigFor: () => kube.kubeConfig(),
      provisioningKubeConfig: () => kube.kubeConfig(),
      mcpServersKubeConfig: kube.kubeConfig(),
      auditStream: new Writable({ write: (_c, _e, cb) => cb() }),
    });
    const { http } = await gateway.serve();
    client = (await connectClient(`http://${http}/mcp`, { headers: { authorization: `Bearer ${TOKEN}` } })).client;
  });

  after(async () => {
    await client?.close();
    await gateway?.close();
    await kube?.close();
  });

  it('declares the server as an MCPServer that mcpgw accepts and serves', async () => {
    const r = await tool('register_server', { name: 'wiki', spec: { match: { hosts: ['wiki.example.com'], pathPrefix: '/mcp' }, tools: { deny: ['delete_*'] } }, deploy: { namespace: 'crd', image: IMAGE } });
    assert.equal(r.isError, undefined, r.content.map((c) => c.text).join('\n'));
    assert.deepEqual((r.structuredContent?.objects as Array<{ kind: string }>).map((o) => o.kind), ['Service', 'Deployment', 'DestinationRule', 'MCPServer']);
    const server = r.structuredContent?.server as { origin: { source: string; ref: string }; spec: { endpoints: unknown; tools: unknown } };
    assert.deepEqual(server.origin.source, 'CONFIG_SOURCE_KUBERNETES');
    assert.equal(server.origin.ref, 'crd/wiki');
    assert.deepEqual(server.spec.endpoints, { kubernetes: { namespace: 'crd', service: 'wiki', port: 'http', resyncSeconds: 300 } });
    for (const w of kube.writes.created) assert.deepEqual(await objectProblems(w.object!), [], `${w.kind} is valid`);
    const resource = kube.mcpServer('crd', 'wiki') as { status?: { conditions?: Array<{ type: string; status: string }> } } | undefined;
    assert.equal(resource?.status?.conditions?.find((c) => c.type === 'Accepted')?.status, 'True');
  });

  it('removes the MCPServer with the other objects, and mcpgw stops serving it', async () => {
    const r = await tool('remove_server', { name: 'wiki' });
    assert.equal(r.isError, undefined, r.content.map((c) => c.text).join('\n'));
    const deleted = (r.structuredContent?.deleted as Array<{ kind: string }>).map((o) => o.kind).sort();
    assert.deepEqual(deleted, ['Deployment', 'DestinationRule', 'MCPServer', 'Service']);
    assert.deepEqual(kube.writes.deleted.map((w) => w.kind).sort(), deleted);
    assert.deepEqual(((await tool('list_servers')).structuredContent?.servers as Array<{ name: string }>).map((s) => s.name), ['demo']);
  });
});
