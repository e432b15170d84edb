// The production mirror (AffinityKeyTable / ServerPods) against envoy-sim's own router choice: for
// 10,000 random affinity keys per endpoint set, over sets that grow, shrink and change host states,
// mcpgw predicts exactly the host envoy-sim's load balancer picks for a request carrying that key.
// envoy-sim's routing module is driven directly (ClusterLb.pick over the request's header map), not
// through 10,000 HTTP requests. The sim gets the hosts in EDS order (shuffled), the mirror sorts them.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Endpoint, EndpointSnapshot } from '../../src/endpoints/index.js';
import { AffinityKeyTable, ServerPods, loadXxh64, type HashLbPolicy, type Xxh64 } from '../../src/routing/index.js';
import { HeaderList } from '../envoy-sim/headerList.js';
import { ClusterLb } from '../envoy-sim/routing.js';

const HEADER = 'x-mcp-affinity';
const KEYS_PER_SET = 10_000;

/** Small deterministic PRNG (mulberry32), so a failure names a reproducible key. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomKey(rand: () => number): string {
  // Mostly keys shaped like mcpgw's (22 base64url chars), some arbitrary client-ish strings.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const len = rand() < 0.8 ? 22 : 1 + Math.floor(rand() * 40);
  let s = '';
  for (let i = 0; i < len; i++) s += alphabet[Math.floor(rand() * alphabet.length)];
  return s;
}

function shuffled<T>(xs: readonly T[], rand: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const host = (i: number) => `10.${20 + (i >> 16)}.${(i >> 8) & 255}.${(i & 255) + 1}:8080`;

type State = 'ready' | 'not-ready' | 'terminating';
interface Step {
  name: string;
  pods: Array<{ host: string; state: State }>;
  /** The Service has Istio's persistent-session label: terminating-but-serving pods are sent as DRAINING. */
  persistentSession?: boolean;
}

/** Endpoint-set history: adds, removals, a large set, host state changes. */
function history(): Step[] {
  const ready = (ids: number[]) => ids.map((i) => ({ host: host(i), state: 'ready' as State }));
  const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
  return [
    { name: '1 pod', pods: ready([0]) },
    { name: '3 pods', pods: ready([0, 1, 2]) },
    { name: 'scale out to 4', pods: ready([0, 1, 2, 3]) },
    { name: 'scale out to 7', pods: ready(range(0, 7)) },
    { name: 'remove 2 of 7', pods: ready([0, 2, 3, 5, 6]) },
    { name: '2 new, 1 removed', pods: ready([0, 2, 3, 6, 7, 8]) },
    { name: 'one not ready, one terminating', pods: [...ready([0, 2, 3, 7]), { host: host(6), state: 'not-ready' }, { host: host(8), state: 'terminating' }] },
    {
      name: 'persistent-session Service: terminating pods are DRAINING, outside the LB',
      persistentSession: true,
      pods: [...ready([0, 2, 3, 7]), { host: host(6), state: 'terminating' }, { host: host(8), state: 'terminating' }, { host: host(9), state: 'not-ready' }],
    },
    { name: '30 pods', pods: ready(range(100, 130)) },
    { name: '30 → 27', pods: ready(range(100, 130).filter((i) => i % 10 !== 3)) },
    { name: '130 pods', pods: ready(range(200, 330)) },
    { name: 'back to 2', pods: ready([0, 1]) },
  ];
}

/** The EndpointSnapshot the Kubernetes mirror builds for these pods (docs/endpoints.md table). */
function snapshotOf(step: Step): EndpointSnapshot {
  const sorted = [...step.pods].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  const endpoints: Endpoint[] = sorted.map((p) => ({
    hostKey: p.host,
    ready: p.state === 'ready',
    serving: p.state !== 'not-ready',
    terminating: p.state === 'terminating',
    drainRequested: false,
  }));
  const inEnvoy = (p: Step['pods'][number]) => p.state === 'ready' || (step.persistentSession === true && p.state === 'terminating');
  return { synced: true, endpoints, envoyHosts: sorted.filter(inEnvoy).map((p) => p.host), persistentSession: step.persistentSession === true };
}

/** What istiod sends over EDS for these pods: HEALTHY ready pods, DRAINING terminating ones under the label. */
function edsOf(step: Step, rand: () => number): { healthy: string[]; draining: string[] } {
  return {
    healthy: shuffled(step.pods.filter((p) => p.state === 'ready').map((p) => p.host), rand),
    draining: step.persistentSession ? step.pods.filter((p) => p.state === 'terminating').map((p) => p.host) : [],
  };
}

const CONFIGS: Array<{ policy: HashLbPolicy; minimumRingSize?: number; tableSize?: number }> = [
  { policy: 'ring_hash' },
  { policy: 'ring_hash', minimumRingSize: 4096 },
  { policy: 'maglev' },
  { policy: 'maglev', tableSize: 251 },
];

describe('affinity mirror vs envoy-sim router: 10,000 random keys per endpoint set', () => {
  let xxh: Xxh64;
  before(async () => {
    xxh = await loadXxh64();
  });

  for (const cfg of CONFIGS) {
    const label = `${cfg.policy}${cfg.minimumRingSize ? ` minimumRingSize ${cfg.minimumRingSize}` : ''}${cfg.tableSize ? ` tableSize ${cfg.tableSize}` : ''}`;
    it(`${label}: ServerPods.hostFor and AffinityKeyTable.hostFor equal the sim's pick; every pod's key lands on it`, () => {
      const rand = prng(cfg.policy === 'ring_hash' ? 1 : 2);
      const lbOptions = { ...(cfg.minimumRingSize ? { minimumRingSize: cfg.minimumRingSize } : {}), ...(cfg.tableSize ? { tableSize: cfg.tableSize } : {}) };
      const sim = new ClusterLb({ name: 'mcp', lb: cfg.policy, hashHeader: HEADER, endpoints: [], ...lbOptions }, xxh);
      const pods = new ServerPods({ mode: 'hash', lb: { policy: cfg.policy, ...lbOptions }, drainDeadlineMs: 60_000, convergenceMs: 0 }, xxh, () => new Map());
      let previousKeys = new Map<string, string>();
      for (const step of history()) {
        const eds = edsOf(step, rand);
        sim.setEndpoints(eds.healthy, eds.draining);
        const snapshot = snapshotOf(step);
        pods.update(snapshot, 0);
        const table = AffinityKeyTable.build(eds.healthy, { policy: cfg.policy, ...lbOptions }, xxh);
        const simPick = (key: string) => sim.pick(new HeaderList([[':authority', 'mcp'], [':path', '/mcp'], [HEADER, key]]));

        let mismatches = 0;
        let first = '';
        const seen = new Set<string>();
        for (let i = 0; i < KEYS_PER_SET; i++) {
          const key = randomKey(rand);
          const expected = simPick(key);
          seen.add(expected!);
          if (pods.hostFor(key) !== expected || table.hostFor(key) !== expected) {
            if (!mismatches++) first = `${key}: sim ${expected}, ServerPods ${pods.hostFor(key)}, table ${table.hostFor(key)}`;
          }
        }
        assert.equal(mismatches, 0, `${label} / ${step.name}: ${mismatches} of ${KEYS_PER_SET} keys differ, first ${first}`);
        for (const h of seen) assert.ok(eds.healthy.includes(h), `${step.name}: the sim only picks HEALTHY hosts (${h})`);

        // Keys mcpgw writes for a pod land on that pod in the sim; pods outside Envoy's LB get none.
        for (const p of step.pods) {
          const key = pods.headerValueFor(p.host);
          if (p.state !== 'ready') {
            assert.equal(key, undefined, `${step.name}: ${p.host} (${p.state}) is not in the LB, so no key reaches it`);
            continue;
          }
          assert.ok(key, `${step.name}: a key for ${p.host}`);
          assert.equal(simPick(key), p.host, `${step.name}: key for ${p.host}`);
          // A pod that survived the change: the key of the old set may move, the fresh one must not.
          const old = previousKeys.get(p.host);
          if (old !== undefined && simPick(old) !== p.host) assert.notEqual(key, old, 'a stale key is replaced');
        }
        previousKeys = new Map(step.pods.filter((p) => p.state === 'ready').map((p) => [p.host, pods.headerValueFor(p.host)!]));
      }
    });
  }
});
