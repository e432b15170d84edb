// The sim's upstream choice equals Envoy's vectors, and follows endpoint changes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildMaglev, buildRing, loadXxh64, type Xxh64 } from '../../src/routing/index.js';
import { vectors } from '../routing/vectors.js';
import { HeaderList } from './headerList.js';
import { EnvoySim, UPSTREAM_HEADER } from './index.js';
import { ClusterLb } from './routing.js';
import { startUpstreams, type Upstreams } from './harness.js';

const withAffinity = (v: string) => new HeaderList([[':authority', 'mcp'], [':path', '/mcp'], ['x-mcp-affinity', v]]);

describe('envoy-sim load balancing matches the vectors', () => {
  let xxh: Xxh64;
  before(async () => {
    xxh = await loadXxh64();
  });

  for (const v of vectors.ring_hash) {
    it(`ring_hash ${v.name}: every lookup key lands on the vector's host`, () => {
      const lb = new ClusterLb({ name: 'c', lb: 'ring_hash', hashHeader: 'x-mcp-affinity', endpoints: v.hosts }, xxh);
      for (const l of v.lookups) assert.equal(lb.pick(withAffinity(l.key)), l.host, l.key);
    });
  }
  for (const v of vectors.maglev) {
    it(`maglev ${v.name}: every lookup key lands on the vector's host`, () => {
      const lb = new ClusterLb({ name: 'c', lb: 'maglev', hashHeader: 'x-mcp-affinity', endpoints: v.hosts }, xxh);
      for (const l of v.lookups) assert.equal(lb.pick(withAffinity(l.key)), l.host, l.key);
    });
  }

  it('hashes all values of a repeated header, sorted', () => {
    const v = vectors.ring_hash[0]!;
    const lb = new ClusterLb({ name: 'c', lb: 'ring_hash', hashHeader: 'x-mcp-affinity', endpoints: v.hosts }, xxh);
    const ring = buildRing(v.hosts.map((key) => ({ key })), {}, xxh);
    const h = new HeaderList([['x-mcp-affinity', 'session-2'], ['x-mcp-affinity', 'session-1']]);
    assert.equal(lb.pick(h), ring.pick(xxh.hash('session-1session-2')));
  });

  it('round robin cycles through the endpoints', () => {
    const lb = new ClusterLb({ name: 'c', lb: 'round_robin', endpoints: ['a:1', 'b:2', 'c:3'] }, xxh);
    assert.deepEqual([0, 1, 2, 3].map(() => lb.pick(new HeaderList())), ['a:1', 'b:2', 'c:3', 'a:1']);
  });
});

describe('envoy-sim routes real requests by the affinity header', () => {
  let ups: Upstreams;
  let sim: EnvoySim;
  let xxh: Xxh64;
  before(async () => {
    xxh = await loadXxh64();
    ups = await startUpstreams(5);
    sim = new EnvoySim({
      routes: [{ authority: '*', pathPrefix: '/mcp', cluster: 'mcp' }],
      clusters: [{ name: 'mcp', lb: 'maglev', hashHeader: 'x-mcp-affinity', endpoints: ups.keys }],
    });
    await sim.start();
  });
  after(async () => {
    await sim.close();
    await ups.close();
  });

  it('serves each key from the host Maglev predicts, before and after an endpoint change', async () => {
    for (const keys of [ups.keys, ups.keys.slice(1)]) {
      sim.setEndpoints('mcp', keys);
      const table = buildMaglev(keys.map((key) => ({ key })), {}, xxh);
      for (const k of ['session-1', 'session-2', 'mcp-5f1c3a9e', 'x']) {
        const res = await fetch(`${sim.url}/mcp`, { headers: { 'x-mcp-affinity': k } });
        const body = (await res.json()) as { served: string };
        assert.equal(res.headers.get(UPSTREAM_HEADER), table.pick(xxh.hash(k)));
        assert.equal(body.served, res.headers.get(UPSTREAM_HEADER));
        assert.equal(sim.log.at(-1)!.upstream, body.served);
      }
    }
  });

  it('no endpoints → 503 local reply; no route → 404', async () => {
    sim.setEndpoints('mcp', []);
    const r1 = await fetch(`${sim.url}/mcp`);
    assert.equal(r1.status, 503);
    assert.equal(await r1.text(), 'no healthy upstream');
    assert.equal(sim.log.at(-1)!.localReply?.details, 'no_healthy_upstream');
    const r2 = await fetch(`${sim.url}/other`);
    assert.equal(r2.status, 404);
    assert.equal(sim.log.at(-1)!.upstream, undefined);
    sim.setEndpoints('mcp', ups.keys);
  });

  it('an unreachable endpoint → 503 connection failure', async () => {
    sim.setEndpoints('mcp', ['127.0.0.1:1']);
    const r = await fetch(`${sim.url}/mcp`);
    assert.equal(r.status, 503);
    assert.match(sim.log.at(-1)!.localReply!.details, /connection_failure/);
    sim.setEndpoints('mcp', ups.keys);
  });
});
