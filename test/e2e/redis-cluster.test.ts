// Two mcpgw replicas (GatewayService) behind envoy-sim on a real 3-master / 3-replica Redis Cluster:
// sessions stay on their pod whichever replica decides, a quota is exact across the replicas, and a
// master killed mid-run fails over while cached sessions keep routing to their own pod; new sessions
// follow whenUnavailable (fail-closed: 503) only while their slot has no master, then work again.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rawPost } from '../fixtures/index.js';
import { startRedisCluster, type RedisClusterProcess } from '../support/redis.js';
import { callOnSession, MCP_HEADERS } from './limitsSupport.js';
import { SessionLedger, until } from './mesh.js';
import { AFFINITY, pinningConfig } from './pinning.js';
import { startStack, type Stack } from './stack.js';

const YEAR = { seconds: 365 * 86_400 };
const initialize = (id: number) =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } });

describe('two mcpgw replicas on a Redis Cluster', () => {
  let cluster: RedisClusterProcess;
  let stack: Stack;
  let ledger: SessionLedger;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  before(async () => {
    process.on('unhandledRejection', onUnhandled);
    cluster = await startRedisCluster();
    stack = await startStack({
      replicas: 2,
      configFor: (pods) =>
        pinningConfig(pods, {
          top: {
            store: { kind: 'redis', cluster: { nodes: cluster.seeds }, keyPrefix: `e2ec${process.pid}:`, commandTimeoutMs: 1000, whenUnavailable: 'fail-closed' },
            limiting: { replicas: 2 },
            limits: [{ name: 'echo-quota', per: [], match: { tools: ['echo'] }, quota: { requests: 7, window: YEAR } }],
          },
        }),
      cluster: { lb: 'ring_hash', hashHeader: AFFINITY },
    });
    for (const base of stack.httpBases) await until(async () => (await fetch(`${base}/readyz`)).status === 200, `${base} ready`, 30_000);
    ledger = new SessionLedger(() => stack.url);
  });
  after(async () => {
    process.off('unhandledRejection', onUnhandled);
    await ledger?.closeAll();
    await stack?.close();
    await cluster?.stop();
  });

  it('sessions stay on their pod across replicas, and a quota admits exactly its count', async () => {
    const sessions = [];
    for (let i = 0; i < 6; i++) sessions.push(await ledger.start());
    for (const s of sessions) await ledger.call(s, 4);
    const c = sessions[0]!;
    const statuses = [];
    for (let i = 0; i < 10; i++) statuses.push((await callOnSession(stack.url, { client: c.client, transport: c.transport }, 'echo', { text: `q${i}` }, i + 1)).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200, 200, 429, 429, 429]);
    ledger.assertNeverWrongPod(stack.pods, stack);
  });

  // The replicas have every binding when the master dies, so the documented bound of lost bindings is
  // zero here: no cached session may get a 404 (a replica promoted before its first sync would lose
  // them all, docs/operations.md, "Failover").
  it('a master killed mid-run: cached sessions keep routing, new sessions 200 or 503 (never another error), then all work again', async () => {
    const cached = [];
    for (let i = 0; i < 6; i++) cached.push(await ledger.start());
    await Promise.all(cached.map((s) => ledger.call(s, 2))); // cached on both replicas
    const victim = await cluster.masterOf(`e2ec${process.pid}:{s0}idx`);
    await cluster.synced();
    await victim.kill();
    const statuses = new Set<number>();
    for (let i = 0; i < 10; i++) {
      statuses.add((await rawPost(stack.url, initialize(i), MCP_HEADERS)).status);
      await Promise.all(cached.map((s) => ledger.call(s, 1)));
    }
    assert.ok([...statuses].every((s) => s === 200 || s === 503), `new sessions during the failover: ${[...statuses].join(', ')}`);
    await cluster.healthy(30_000);
    // Every slot group answers again: a run of new sessions all succeed.
    await until(async () => {
      for (let i = 0; i < 16; i++) if ((await rawPost(stack.url, initialize(100 + i), MCP_HEADERS)).status !== 200) return false;
      return true;
    }, 'new sessions work in every slot again', 30_000);
    const fresh = await ledger.start();
    await ledger.call(fresh, 4);
    await Promise.all(cached.map((s) => ledger.call(s, 2)));
    ledger.assertNeverWrongPod(stack.pods, stack);
    assert.deepEqual(unhandled, []);
  });
});
