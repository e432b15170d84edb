// KubernetesEndpoints against the fake API server: which endpoints it mirrors, and when it says so.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { endpointSlice, pod, service, startFakeKube, type FakeKube, type SliceEndpointSpec } from '../fake-kube/index.js';
import { lists, mirror, NS, SERVICE, until, type Mirror } from './harness.js';

const A = '10.0.0.1:8080';
const B = '10.0.0.2:8080';
const C = '10.0.0.3:8080';

function slice(name: string, endpoints: SliceEndpointSpec[], ports?: { name?: string; port?: number }[]) {
  return endpointSlice({ name, service: SERVICE, endpoints, ...(ports ? { ports } : {}) });
}

const ep = (n: number, state: SliceEndpointSpec['state'] = 'ready'): SliceEndpointSpec => ({ addresses: [`10.0.0.${n}`], pod: `pod-${n}`, state });

describe('KubernetesEndpoints', () => {
  let kube: FakeKube;
  let m: Mirror | undefined;

  beforeEach(async () => {
    kube = await startFakeKube();
    kube.setService(NS, service({ name: SERVICE }));
  });
  afterEach(async () => {
    await m?.source.stop();
    m = undefined;
    await kube.close();
  });

  it('initial list: start resolves with the ready endpoints, keyed podIP:targetPort and sorted', async () => {
    kube.upsertSlice(NS, slice('mcp-server-abc', [ep(3), ep(1), ep(2)]));
    kube.upsertSlice(NS, endpointSlice({ name: 'other', service: 'other-service', endpoints: [ep(9)] }));
    kube.upsertSlice('elsewhere', slice('mcp-server-abc', [ep(8)]));
    m = mirror(kube);
    assert.equal(m.source.snapshot().synced, false);
    await m.source.start();
    const s = m.source.snapshot();
    assert.equal(s.synced, true);
    assert.deepEqual(s.envoyHosts, [A, B, C]);
    assert.deepEqual(s.endpoints[0], { hostKey: A, podName: 'pod-1', ready: true, serving: true, terminating: false, drainRequested: false });
    assert.equal(s.persistentSession, false);
    assert.equal(m.changes.length, 1, 'one change: the first sync');
    const sliceList = kube.requests.find((r) => !r.watch && r.path === `/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices`);
    assert.equal(sliceList?.query.labelSelector, `kubernetes.io/service-name=${SERVICE}`);
  });

  it('add, not-ready, terminating and removal change envoyHosts per Istio (no persistent-session label)', async () => {
    kube.upsertSlice(NS, slice('s1', [ep(1), ep(2)]));
    m = mirror(kube);
    await m.source.start();
    const hosts = m.hosts;

    kube.upsertSlice(NS, slice('s1', [ep(1), ep(2), ep(3)]));
    await until(() => hosts().length === 3, 'pod-3 added');

    kube.upsertSlice(NS, slice('s1', [ep(1), ep(2, 'not-ready'), ep(3)]));
    await until(() => !hosts().includes(B), 'not-ready pod-2 leaves Envoy');
    assert.deepEqual(hosts(), [A, C]);
    assert.equal(m.source.snapshot().endpoints.find((e) => e.hostKey === B)?.ready, false, 'still listed as an endpoint');

    kube.upsertSlice(NS, slice('s1', [ep(1), ep(2), ep(3, 'terminating')]));
    await until(() => hosts().includes(B) && !hosts().includes(C), 'pod-2 ready again, terminating pod-3 gone');
    assert.deepEqual(
      m.source.snapshot().endpoints.find((e) => e.hostKey === C),
      { hostKey: C, podName: 'pod-3', ready: false, serving: true, terminating: true, drainRequested: false },
    );

    kube.upsertSlice(NS, slice('s1', [ep(1)]));
    await until(() => hosts().length === 1, 'pods removed');
    kube.deleteSlice(NS, 's1');
    await until(() => m!.source.snapshot().endpoints.length === 0, 'slice deleted');
    assert.deepEqual(hosts(), []);
  });

  for (const label of ['istio.io/persistent-session', 'istio.io/persistent-session-header']) {
    it(`${label}: terminating endpoints still serving stay in envoyHosts (DRAINING)`, async () => {
      kube.setService(NS, service({ name: SERVICE, labels: { [label]: 'x-session' } }));
      kube.upsertSlice(NS, slice('s1', [ep(1), ep(2, 'terminating'), ep(3, 'terminating-not-serving'), ep(4, 'not-ready')]));
      m = mirror(kube);
      await m.source.start();
      assert.equal(m.source.snapshot().persistentSession, true);
      assert.deepEqual(m.hosts(), [A, B]);
      kube.upsertSlice(NS, slice('s1', [ep(1), ep(2, 'terminating-not-serving')]));
      await until(() => m!.hosts().length === 1, 'pod-2 stopped serving');
    });
  }

  it('a persistent-session label added later is seen at the next resync', async () => {
    kube.upsertSlice(NS, slice('s1', [ep(1), ep(2, 'terminating')]));
    m = mirror(kube, { resyncSeconds: 0.2 });
    await m.source.start();
    assert.deepEqual(m.hosts(), [A]);
    kube.setService(NS, service({ name: SERVICE, labels: { 'istio.io/persistent-session-header': 'x-session' } }));
    await until(() => m!.source.snapshot().persistentSession, 'label picked up');
    assert.deepEqual(m.hosts(), [A, B]);
  });

  it('resyncs that change nothing call no listener', async () => {
    kube.upsertSlice(NS, slice('s1', [ep(1)]));
    m = mirror(kube, { resyncSeconds: 0.1 });
    await m.source.start();
    const before = lists(kube, 'endpointslices');
    await until(() => lists(kube, 'endpointslices') >= before + 3, 'three more resyncs');
    assert.equal(m.changes.length, 1);
  });

  it('drain annotation on a pod is reflected; the pod stays in Envoy', async () => {
    kube.upsertSlice(NS, slice('s1', [ep(1), ep(2)]));
    kube.upsertPod(NS, pod({ name: 'pod-1', ip: '10.0.0.1' }));
    kube.upsertPod(NS, pod({ name: 'pod-2', ip: '10.0.0.2', annotations: { 'mcpgw.io/drain': 'true' } }));
    m = mirror(kube);
    await m.source.start();
    const drained = () => m!.source.snapshot().endpoints.filter((e) => e.drainRequested).map((e) => e.podName);
    assert.deepEqual(drained(), ['pod-2']);

    kube.upsertPod(NS, pod({ name: 'pod-1', ip: '10.0.0.1', annotations: { 'mcpgw.io/drain': 'true' } }));
    kube.upsertPod(NS, pod({ name: 'pod-2', ip: '10.0.0.2', annotations: { 'mcpgw.io/drain': 'false' } }));
    await until(() => drained().join() === 'pod-1', 'drain moved to pod-1');
    assert.deepEqual(m.hosts(), [A, B]);
    kube.deletePod(NS, 'pod-1');
    await until(() => drained().length === 0, 'deleted pod no longer drained');
  });

  it('several slices: union, one host key per address, the fresher slice wins for an address in both', async () => {
    kube.upsertSlice(NS, slice('s1', [{ addresses: ['10.0.0.1', '10.0.0.2'], pod: 'pod-1' }]));
    kube.upsertSlice(NS, slice('s2', [ep(3, 'not-ready')]));
    m = mirror(kube);
    await m.source.start();
    assert.deepEqual(m.hosts(), [A, B]);
    assert.equal(m.source.snapshot().endpoints.length, 3);
    // pod-3 moves to s1 (ready) while s2 still lists it as not ready.
    kube.upsertSlice(NS, slice('s1', [{ addresses: ['10.0.0.1', '10.0.0.2'], pod: 'pod-1' }, ep(3)]));
    await until(() => m!.hosts().includes(C), 'fresher s1 wins');
    assert.equal(m.source.snapshot().endpoints.length, 3);
  });

  it('each slice keys with its own number for the port name', async () => {
    kube.upsertSlice(NS, slice('s1', [ep(1)], [{ name: 'http', port: 8080 }]));
    kube.upsertSlice(NS, slice('s2', [ep(2)], [{ name: 'http', port: 8081 }]));
    m = mirror(kube);
    await m.source.start();
    assert.deepEqual(m.hosts(), [A, '10.0.0.2:8081']);
  });

  describe('port selection', () => {
    const ports = [
      { name: 'http', port: 8080 },
      { name: 'metrics', port: 9090 },
    ];
    beforeEach(() => {
      kube.setService(NS, service({ name: SERVICE, ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'metrics', port: 9090, targetPort: 9090 }] }));
      kube.upsertSlice(NS, slice('s1', [ep(1)], ports));
    });
    const cases: { port: string | number; want: string }[] = [
      { port: 'http', want: A },
      { port: 'metrics', want: '10.0.0.1:9090' },
      { port: 80, want: A }, // Service port 80 → its name "http"
      { port: '80', want: A },
      { port: 8080, want: A }, // no Service port 8080 → slice (target) port number
    ];
    for (const c of cases) {
      it(`port ${JSON.stringify(c.port)} → ${c.want}`, async () => {
        m = mirror(kube, { port: c.port });
        await m.source.start();
        assert.deepEqual(m.hosts(), [c.want]);
      });
    }

    it('no port option with several slice ports: start rejects, naming them', async () => {
      m = mirror(kube);
      await assert.rejects(m.source.start(), /several ports \(http, metrics\)/);
    });

    it('no port option with one slice port: that port, kept when the Service gains another', async () => {
      kube.upsertSlice(NS, slice('s1', [ep(1)], [{ name: 'http', port: 8080 }]));
      m = mirror(kube);
      await m.source.start();
      kube.upsertSlice(NS, slice('s1', [ep(1), ep(2)], ports));
      await until(() => m!.hosts().length === 2, 'pod-2 added');
      assert.deepEqual(m.hosts(), [A, B]);
    });

    it('an unknown port name mirrors nothing', async () => {
      m = mirror(kube, { port: 'grpc' });
      await m.source.start();
      assert.deepEqual(m.source.snapshot().endpoints, []);
    });
  });

  it('IPv6 slices key as [addr]:port in canonical form; FQDN slices are ignored like istiod does', async () => {
    kube.upsertSlice(NS, endpointSlice({ name: 's6', service: SERVICE, addressType: 'IPv6', endpoints: [{ addresses: ['2001:DB8:0:0:0:0:0:1'], pod: 'p6' }] }));
    kube.upsertSlice(NS, endpointSlice({ name: 'sf', service: SERVICE, addressType: 'FQDN', endpoints: [{ addresses: ['mcp.example.com'] }] }));
    m = mirror(kube);
    await m.source.start();
    assert.deepEqual(m.hosts(), ['[2001:db8::1]:8080']);
  });

  it('a listener that throws does not stop the others; unsubscribe works', async () => {
    kube.upsertSlice(NS, slice('s1', [ep(1)]));
    m = mirror(kube);
    const seen: number[] = [];
    m.source.onChange(() => {
      throw new Error('listener bug');
    });
    const off = m.source.onChange((s) => seen.push(s.envoyHosts.length));
    await m.source.start();
    kube.upsertSlice(NS, slice('s1', [ep(1), ep(2)]));
    await until(() => seen.at(-1) === 2, 'second change seen');
    off();
    kube.upsertSlice(NS, slice('s1', [ep(1)]));
    await until(() => m!.hosts().length === 1, 'third change applied');
    assert.deepEqual(seen, [1, 2]);
  });

  it('a missing Service means no persistent-session label; endpoints still mirrored', async () => {
    kube.deleteService(NS, SERVICE);
    kube.upsertSlice(NS, slice('s1', [ep(1), ep(2, 'terminating')]));
    m = mirror(kube);
    await m.source.start();
    assert.deepEqual(m.hosts(), [A]);
    assert.deepEqual(m.errors, []);
  });
});
