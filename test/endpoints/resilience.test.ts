// The mirror keeps up through connection loss, expired resourceVersions and API errors, never crashing.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { KubeRequestError, loadKubeConfig } from '../../src/endpoints/index.js';
import { endpointSlice, service, startFakeKube, type FakeKube } from '../fake-kube/index.js';
import { lists, mirror, NS, SERVICE, until, type Mirror } from './harness.js';

const slice = (...ips: number[]) =>
  endpointSlice({ name: 's1', service: SERVICE, endpoints: ips.map((n) => ({ addresses: [`10.0.0.${n}`], pod: `pod-${n}` })) });

/** No retry loop is left running: a request already in flight at stop may still land, nothing after it. */
async function assertQuiet(kube: FakeKube): Promise<void> {
  await new Promise((r) => setTimeout(r, 50));
  const seen = kube.requests.length;
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(kube.requests.length, seen, 'no requests after stop');
}

describe('KubernetesEndpoints resilience', () => {
  let kube: FakeKube;
  let m: Mirror | undefined;

  beforeEach(async () => {
    kube = await startFakeKube();
    kube.setService(NS, service({ name: SERVICE }));
    kube.upsertSlice(NS, slice(1));
  });
  afterEach(async () => {
    await m?.source.stop();
    m = undefined;
    await kube.close();
  });

  it('a dropped watch reconnects from its resourceVersion and catches up without re-listing', async () => {
    m = mirror(kube);
    await m.source.start();
    await until(() => kube.openWatches('endpointslices') === 1, 'slice watch open');
    const listsBefore = lists(kube, 'endpointslices');
    assert.ok(kube.dropWatches() >= 2);
    kube.upsertSlice(NS, slice(1, 2)); // happens while no watch is connected
    await until(() => m!.hosts().length === 2, 'missed change caught up');
    assert.equal(lists(kube, 'endpointslices'), listsBefore, 'caught up by watch replay, not a re-list');
    const rewatch = kube.requests.filter((r) => r.watch && r.path.endsWith('/endpointslices')).at(-1);
    assert.ok(Number(rewatch?.query.resourceVersion) > 0, 'watch resumed from a resourceVersion');
    assert.equal(rewatch?.query.labelSelector, `kubernetes.io/service-name=${SERVICE}`);
  });

  it('410 Gone on re-watch: re-lists and picks up what it missed', async () => {
    m = mirror(kube);
    await m.source.start();
    await until(() => kube.openWatches() === 2, 'both watches open');
    const listsBefore = lists(kube, 'endpointslices');
    kube.dropWatches();
    kube.upsertSlice(NS, slice(1, 2, 3));
    kube.compact(); // the resourceVersion the mirror holds is now too old
    await until(() => m!.hosts().length === 3, 'change seen after re-list');
    assert.ok(lists(kube, 'endpointslices') > listsBefore, 're-listed');
    assert.ok(m.errors.every((e) => e.err.status !== 410), '410 is an expiry, not reported as an error');
  });

  it('API errors before the first list are retried and reported; start resolves once the API answers', async () => {
    kube.failNext(3, 500);
    kube.failNext(1, 503, 'services');
    m = mirror(kube);
    await m.source.start();
    assert.deepEqual(m.hosts(), ['10.0.0.1:8080']);
    assert.ok(m.errors.length >= 4, `errors reported: ${m.errors.length}`);
    assert.ok(m.errors.some((e) => e.kind === 'services' && e.err.status === 503));
    assert.ok(m.errors.every((e) => e.err instanceof KubeRequestError && e.err.status !== undefined));
  });

  it('API errors while re-watching are retried until the watch is back', async () => {
    m = mirror(kube);
    await m.source.start();
    await until(() => kube.openWatches('endpointslices') === 1, 'slice watch open');
    kube.failNext(4, 500, 'endpointslices');
    kube.dropWatches();
    kube.upsertSlice(NS, slice(1, 2));
    await until(() => m!.hosts().length === 2, 'caught up after failures');
    assert.ok(m.errors.some((e) => e.kind === 'endpointslices' && e.err.status === 500));
    assert.equal(m.source.snapshot().synced, true);
  });

  for (const c of [
    { name: 'RBAC forbids the endpointslices list (403)', status: 403, resource: 'endpointslices' as const },
    { name: 'RBAC forbids reading the Service (403)', status: 403, resource: 'services' as const },
    { name: 'the pods list is unauthorized (401)', status: 401, resource: 'pods' as const },
  ]) {
    it(`fatal at start: ${c.name} → start rejects and the mirror stops`, async () => {
      kube.failNext(1, c.status, c.resource);
      m = mirror(kube);
      await assert.rejects(m.source.start(), (err: unknown) => err instanceof KubeRequestError && err.status === c.status && err.kind === c.resource);
      await assertQuiet(kube);
    });
  }

  it('stop() while the first list keeps failing: start rejects, retries end', async () => {
    kube.failNext(1_000_000, 500);
    m = mirror(kube);
    const started = m.source.start();
    await until(() => m!.errors.length >= 2, 'retrying');
    await m.source.stop();
    await assert.rejects(started, /stopped before the first list/);
    await assertQuiet(kube);
  });

  it('a kubeconfig error (plain http without insecure-skip-tls-verify) fails start at once', async () => {
    const kc = kube.kubeConfig();
    kc.clusters = kc.clusters.map((c) => ({ ...c, skipTLSVerify: false }));
    m = mirror(kube, { kubeConfig: kc });
    await assert.rejects(m.source.start(), /^Error: kubeconfig: HTTP protocol is not allowed/);
    assert.equal(kube.requests.length, 0);
  });

  it('a kubeconfig file (path or KUBECONFIG) works', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mcpgw-kubeconfig-'));
    const saved = process.env.KUBECONFIG;
    try {
      const file = join(dir, 'config');
      await writeFile(file, kube.kubeconfigYaml());
      m = mirror(kube, { kubeConfig: loadKubeConfig({ kubeconfig: file }) });
      await m.source.start();
      assert.deepEqual(m.hosts(), ['10.0.0.1:8080']);
      process.env.KUBECONFIG = file;
      assert.equal((await loadKubeConfig()).getCurrentCluster()?.server, kube.url);
    } finally {
      if (saved === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = saved;
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('no kubeconfig and not in a cluster: loadKubeConfig says so', () => {
    const saved = { k: process.env.KUBECONFIG, h: process.env.KUBERNETES_SERVICE_HOST };
    delete process.env.KUBECONFIG;
    delete process.env.KUBERNETES_SERVICE_HOST;
    try {
      assert.throws(() => loadKubeConfig(), /no Kubernetes credentials/);
    } finally {
      if (saved.k !== undefined) process.env.KUBECONFIG = saved.k;
      if (saved.h !== undefined) process.env.KUBERNETES_SERVICE_HOST = saved.h;
    }
  });
});
