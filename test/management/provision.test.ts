// Provisioning against the fake Kubernetes API: the objects it creates (validated against the
// Kubernetes and Istio schemas, unknown fields included), all-or-nothing creation, removal of exactly
// what it created, and health with the reason a rollout is stuck.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/telemetry/index.js';
import { Provisioner, provisionApi, deploySchema, manifests, ownerLabels, serverHealth, type DeploySpec } from '../../src/provision/index.js';
import { objectProblems } from '../deploy/k8sSchema.js';
import { service as serviceObject, startFakeKube, type FakeKube } from '../fake-kube/index.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const affinity = (() => {
  const r = parseConfig(JSON.stringify({ servers: [{ name: 'x', match: { hosts: ['x.example'] } }] }));
  if (!r.ok) throw new Error(r.problems.join('\n'));
  return r.config.servers[0]!.affinity;
})();

function deploy(extra: Record<string, unknown> = {}): DeploySpec {
  return deploySchema.parse({
    namespace: 'mcp',
    image: `ghcr.io/example/tickets@${DIGEST}`,
    port: 8080,
    replicas: 2,
    env: [{ name: 'LOG_LEVEL', value: 'info' }, { name: 'API_TOKEN', secret: { name: 'tickets', key: 'token' } }],
    envFrom: [{ secret: 'tickets-env' }],
    ...extra,
  });
}

describe('provisioned objects', () => {
  for (const kind of ['StatefulSet', 'Deployment'] as const) {
    it(`${kind}, Service and DestinationRule match their schemas and use only defined fields`, async () => {
      const objects = manifests('tickets', kind, deploy(), affinity);
      assert.deepEqual(objects.map((o) => o.kind), ['Service', kind, 'DestinationRule']);
      const problems = (await Promise.all(objects.map((o) => objectProblems(o)))).flat();
      assert.deepEqual(problems, []);
      for (const o of objects) assert.deepEqual(o.metadata.labels, ownerLabels('tickets'));
    });
  }

  it('the DestinationRule hashes the affinity header mcpgw writes, with the LB mcpgw mirrors', () => {
    const dr = manifests('tickets', 'StatefulSet', deploy(), affinity)[2]!;
    assert.deepEqual(dr.spec, { host: 'tickets.mcp.svc.cluster.local', trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: 'x-mcp-affinity', ringHash: { minimumRingSize: 1024 } } } } });
    const maglev = manifests('tickets', 'StatefulSet', deploy(), { ...affinity, loadBalancer: 'maglev' })[2]!;
    assert.deepEqual((maglev.spec as { trafficPolicy: { loadBalancer: { consistentHash: object } } }).trafficPolicy.loadBalancer.consistentHash, { httpHeaderName: 'x-mcp-affinity', maglev: { tableSize: 65537 } });
  });

  it('environment comes from Secrets by reference; a credential-looking literal is refused without repeating it', () => {
    const sts = manifests('tickets', 'StatefulSet', deploy(), affinity)[1]!;
    const container = (sts.spec as { template: { spec: { containers: Array<{ env: unknown[]; envFrom: unknown[] }> } } }).template.spec.containers[0]!;
    assert.deepEqual(container.env, [
      { name: 'PORT', value: '8080' },
      { name: 'LOG_LEVEL', value: 'info' },
      { name: 'API_TOKEN', valueFrom: { secretKeyRef: { name: 'tickets', key: 'token' } } },
    ]);
    assert.deepEqual(container.envFrom, [{ secretRef: { name: 'tickets-env' } }]);
    const r = deploySchema.safeParse({ namespace: 'mcp', image: 'x', env: [{ name: 'GITHUB_TOKEN', value: 'ghp_not-a-real-token-4242' }] });
    assert.equal(r.success, false);
    const text = JSON.stringify(r.error?.issues);
    assert.match(text, /GITHUB_TOKEN looks like a credential/);
    assert.doesNotMatch(text, /ghp_not-a-real-token-4242/);
  });
});

describe('Provisioner against the fake API server', () => {
  let kube: FakeKube;
  let provisioner: Provisioner;
  const logs: string[] = [];

  before(async () => {
    kube = await startFakeKube();
    const logger = createLogger('info', { write: (s: string) => void logs.push(s) } as unknown as NodeJS.WritableStream);
    provisioner = new Provisioner(await provisionApi(kube.kubeConfig()), logger);
  });
  after(() => kube.close());

  it('creates the three objects, then removes exactly those', async () => {
    const created = await provisioner.deploy('tickets', 'StatefulSet', deploy(), affinity);
    assert.deepEqual(created.map((r) => `${r.kind}/${r.namespace}/${r.name}`), ['Service/mcp/tickets', 'StatefulSet/mcp/tickets', 'DestinationRule/mcp/tickets']);
    assert.deepEqual(kube.writes.created.map((w) => w.object), manifests('tickets', 'StatefulSet', deploy(), affinity));
    assert.deepEqual(await provisioner.workload('tickets', 'mcp'), { kind: 'StatefulSet', replicas: 2 });
    const deleted = await provisioner.remove('tickets', 'mcp');
    assert.deepEqual(deleted.map((r) => `${r.kind}/${r.name}`).sort(), created.map((r) => `${r.kind}/${r.name}`).sort());
    assert.deepEqual(kube.writes.deleted.map((w) => `${w.kind}/${w.name}`).sort(), created.map((r) => `${r.kind}/${r.name}`).sort());
    assert.equal(await provisioner.workload('tickets', 'mcp'), undefined);
  });

  it('never replaces or deletes an object it did not create, and a failed deploy leaves nothing', async () => {
    kube.setService('mcp', serviceObject({ name: 'billing' }));
    const before = kube.writes.created.length;
    await assert.rejects(provisioner.deploy('billing', 'Deployment', deploy(), affinity), /Service mcp\/billing: HTTP 409: already exists and is not managed by mcpgw/);
    assert.equal(kube.writes.created.length, before, 'nothing created');
    assert.deepEqual(await provisioner.remove('billing', 'mcp'), []);
    assert.ok(kube.writes.get('Service', 'mcp', 'billing'), 'the foreign Service is still there');
  });

  it('logs object names only, never environment values', () => {
    const text = logs.join('');
    assert.match(text, /provisioned MCP server objects/);
    assert.doesNotMatch(text, /LOG_LEVEL|info"\}|tickets-env/);
  });
});

describe('health', () => {
  const waiting = (reason: string, message: string) => ({
    metadata: { name: 'tickets-0' },
    status: { containerStatuses: [{ name: 'server', ready: false, restartCount: 0, image: 'x', imageID: '', state: { waiting: { reason, message } } }] },
  });

  it('is ready when the endpoint set holds the replicas asked for', () => {
    assert.deepEqual(serverHealth(2, 2, []), { state: 'ready', desiredReplicas: 2, readyEndpoints: 2, reasons: [] });
  });

  it('is stuck, with the pod\'s reason, on ImagePullBackOff; progressing while pods merely start', () => {
    const h = serverHealth(2, 0, [waiting('ImagePullBackOff', 'Back-off pulling image "ghcr.io/example/tickets"')]);
    assert.equal(h.state, 'stuck');
    assert.deepEqual(h.reasons, ['pod tickets-0: container server: ImagePullBackOff: Back-off pulling image "ghcr.io/example/tickets"']);
    assert.equal(serverHealth(2, 1, [waiting('ContainerCreating', '')]).state, 'progressing');
  });
});
