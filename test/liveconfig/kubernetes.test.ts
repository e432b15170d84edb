// MCPServer resources against the fake API server (real list/watch wire format, status subresource):
// apply, update, an invalid resource (its conditions say why, the previous version keeps serving), a
// host claimed twice, delete. What is asserted is what users see: ext_authz answers and `kubectl get`.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ConfigCatalog } from '../../src/liveconfig/index.js';
import { until } from '../e2e/mesh.js';
import { startFakeKube, type FakeKube, type KubeObject } from '../fake-kube/index.js';
import { startGateway, testConfig, type RunningGateway } from '../grpc/harness.js';
import { statusOf } from './support.js';

const NS = 'team-a';

function mcpServer(name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'mcpgw.io/v1alpha1', kind: 'MCPServer', metadata: { name }, spec };
}

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  observedGeneration?: number;
}

describe('live configuration: MCPServer resources', () => {
  let kube: FakeKube;
  let gw: RunningGateway;
  let catalog: ConfigCatalog;
  const conditions = (name: string): Record<string, Condition> => {
    const list = ((kube.mcpServer(NS, name)?.['status'] as { conditions?: Condition[] } | undefined)?.conditions ?? []);
    return Object.fromEntries(list.map((c) => [c.type, c]));
  };
  const generation = (name: string) => kube.mcpServer(NS, name)?.metadata.generation;

  before(async () => {
    kube = await startFakeKube();
    const config = testConfig({ kubernetes: { mcpServers: { enabled: true, namespaces: [NS, 'team-c'] } } });
    gw = await startGateway(config, { mcpServersKubeConfig: kube.kubeConfig() });
    catalog = gw.service.catalog!;
    await until(async () => (await fetch(`${gw.httpBase}/readyz`)).status === 200, 'ready once MCPServers are listed');
  });
  after(async () => {
    await gw.close();
    await kube.close();
  });

  it('a new MCPServer serves the next request and is Accepted and Ready', async () => {
    kube.upsertMcpServer(NS, mcpServer('wiki', { match: { hosts: ['wiki.test'], pathPrefix: '/mcp' }, tools: { deny: ['erase_*'] } }));
    await until(async () => (await statusOf(gw, 'wiki.test', '/mcp')) === 200, 'wiki served');
    assert.equal(await statusOf(gw, 'wiki.test', '/mcp', 'erase_all'), 403);
    await until(() => conditions('wiki')['Ready']?.status === 'True', 'wiki Ready');
    const c = conditions('wiki');
    assert.equal(c['Accepted']?.status, 'True');
    assert.equal(c['Ready']?.reason, 'Serving');
    assert.equal(c['Accepted']?.observedGeneration, generation('wiki'));
    assert.deepEqual(catalog.server('wiki')?.origin.source, 'kubernetes');
    assert.deepEqual(catalog.server('wiki')?.origin.ref, `${NS}/wiki`);
  });

  it('an update takes effect for the next request, with the new generation observed', async () => {
    kube.upsertMcpServer(NS, mcpServer('wiki', { match: { hosts: ['wiki.test'], pathPrefix: '/mcp' }, tools: { deny: ['echo'] } }));
    await until(async () => (await statusOf(gw, 'wiki.test', '/mcp')) === 403, 'echo denied');
    assert.equal(await statusOf(gw, 'wiki.test', '/mcp', 'erase_all'), 200);
    await until(() => conditions('wiki')['Accepted']?.observedGeneration === generation('wiki'), 'generation observed');
    assert.equal(generation('wiki'), 2);
  });

  it('an invalid spec is refused with the field and why, and the previous version keeps serving', async () => {
    kube.upsertMcpServer(NS, mcpServer('wiki', { match: { hosts: ['wiki.test'], pathPrefix: '/mcp' }, tools: { deny: ['echo'] }, policy: { rules: [{ effect: 'allow', tools: ['*'], methods: ['tools/list'] }] } }));
    await until(() => conditions('wiki')['Accepted']?.status === 'False', 'wiki refused');
    const c = conditions('wiki');
    assert.equal(c['Accepted']?.reason, 'InvalidSpec');
    assert.equal(c['Accepted']?.message, 'spec.policy.rules.0: set exactly one of tools, resources, prompts, methods');
    assert.equal(c['Accepted']?.observedGeneration, 3);
    assert.deepEqual([c['Ready']?.status, c['Ready']?.reason], ['True', 'PreviousVersionServing']);
    assert.equal(await statusOf(gw, 'wiki.test', '/mcp'), 403, 'the last accepted spec still decides');
  });

  it('a host another server claims is refused as HostConflict and does not serve', async () => {
    kube.upsertMcpServer(NS, mcpServer('clash', { match: { hosts: ['mcp.test'], pathPrefix: '/mcp' } }));
    await until(() => conditions('clash')['Accepted']?.status === 'False', 'clash refused');
    const c = conditions('clash');
    assert.equal(c['Accepted']?.reason, 'HostConflict');
    assert.equal(c['Accepted']?.message, 'match.hosts.0: host "mcp.test" with pathPrefix "/mcp" is already claimed by server "files"');
    assert.deepEqual([c['Ready']?.status, c['Ready']?.reason], ['False', 'NotServing']);
    assert.equal(catalog.server('clash'), undefined);
    assert.equal(await statusOf(gw, 'mcp.test', '/mcp', 'delete_x'), 403, 'the file server still decides its host');
  });

  it('a fixed spec is accepted again; a deleted MCPServer stops serving (404)', async () => {
    kube.upsertMcpServer(NS, mcpServer('wiki', { match: { hosts: ['wiki.test'], pathPrefix: '/mcp' } }));
    await until(() => conditions('wiki')['Accepted']?.status === 'True', 'wiki accepted again');
    assert.equal(await statusOf(gw, 'wiki.test', '/mcp'), 200);
    kube.deleteMcpServer(NS, 'wiki');
    await until(async () => (await statusOf(gw, 'wiki.test', '/mcp')) === 404, 'wiki gone');
    assert.equal(catalog.server('wiki'), undefined);
  });

  it('resources of namespaces not watched are left alone', async () => {
    kube.upsertMcpServer('team-b', mcpServer('other', { match: { hosts: ['other.test'], pathPrefix: '/mcp' } }));
    // A change in the watched namespace is seen after the one before it: by then "other" would be too.
    kube.upsertMcpServer(NS, mcpServer('marker', { match: { hosts: ['marker.test'], pathPrefix: '/mcp' } }));
    await until(() => catalog.server('marker') !== undefined, 'marker served');
    assert.equal(catalog.server('other'), undefined);
    assert.equal(kube.mcpServer('team-b', 'other')?.['status'], undefined);
  });

  it('a server name another namespace already declares is refused as NameConflict', async () => {
    kube.upsertMcpServer('team-c', mcpServer('marker', { match: { hosts: ['other-marker.test'], pathPrefix: '/mcp' } }));
    const status = () => ((kube.mcpServer('team-c', 'marker')?.['status'] as { conditions?: Condition[] } | undefined)?.conditions ?? []).find((c) => c.type === 'Accepted');
    await until(() => status()?.status === 'False', 'team-c/marker refused');
    assert.equal(status()?.reason, 'NameConflict');
    assert.equal(status()?.message, 'metadata.name: server name "marker" is already declared by MCPServer team-a/marker');
    assert.equal(await statusOf(gw, 'other-marker.test', '/mcp'), 404);
    kube.deleteMcpServer('team-c', 'marker');
  });

  it('a server of the same name applied through the API takes precedence: Ready=False Overridden, until it is deleted', async () => {
    await until(() => conditions('marker')['Ready']?.reason === 'Serving', 'marker serving');
    await catalog.applyServer({ name: 'marker', match: { hosts: ['marker.test'], pathPrefix: '/mcp' }, tools: { deny: ['echo'] } });
    await until(() => conditions('marker')['Ready']?.reason === 'Overridden', 'marker overridden');
    assert.equal(conditions('marker')['Ready']?.message, 'a server of the same name from api marker takes precedence');
    assert.equal(conditions('marker')['Accepted']?.status, 'True');
    assert.equal(await statusOf(gw, 'marker.test', '/mcp'), 403);
    await catalog.deleteServer('marker');
    await until(() => conditions('marker')['Ready']?.reason === 'Serving', 'marker serving again');
    assert.equal(await statusOf(gw, 'marker.test', '/mcp'), 200);
  });
});
