// Two `mcpgw bridge` pods (server-everything over stdio) behind envoy-sim with mcpgw pinning sessions:
// every call of a session reaches the bridge, and so the child process, that answered its initialize;
// 2026-07-28 clients (no session) spread over both; 2024-11-05 SSE streams keep their POSTs on one pod.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { GatewayService } from '../../src/server/index.js';
import { createLogger } from '../../src/telemetry/index.js';
import { EnvoySim } from '../envoy-sim/index.js';
import { connectLegacySseClient, connectModernClient } from '../fixtures/index.js';
import { EVERYTHING, connect, post, startTestBridge, type TestBridge } from '../bridge/harness.js';
import { AFFINITY, pinningConfig } from './pinning.js';
import { MCPGW_MAX_REQUESTS_PER_CONNECTION, meshWiring } from './stack.js';

/** The bridge pod a call's child runs in: each pod passes its own POD_NAME to its children. */
async function podOf(client: { callTool(req: { name: string; arguments: Record<string, unknown> }): Promise<unknown> }): Promise<string> {
  const r = (await client.callTool({ name: 'get-env', arguments: {} })) as { content: Array<{ text: string }> };
  return (JSON.parse(r.content[0]?.text ?? '{}') as Record<string, string>).POD_NAME ?? '';
}

describe('bridge pods behind envoy-sim with mcpgw pinning', () => {
  let bridges: TestBridge[];
  let gateway: GatewayService;
  let sim: EnvoySim;
  let url: string;

  before(async () => {
    bridges = await Promise.all(
      ['bridge-a', 'bridge-b'].map((name) => startTestBridge(EVERYTHING, ['--legacy-sse', '--pass-env', 'POD_NAME'], { ...process.env, POD_NAME: name })),
    );
    const hostKeys = bridges.map((b) => `127.0.0.1:${b.port}`);
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    gateway = new GatewayService(pinningConfig(null, { server: { endpoints: { static: hostKeys } } }), createLogger('warn', sink), { auditStream: sink });
    const addr = await gateway.serve();
    sim = new EnvoySim({
      routes: [{ authority: '*', pathPrefix: '/', cluster: 'mcp' }],
      clusters: [{ name: 'mcp', lb: 'ring_hash', hashHeader: AFFINITY, endpoints: hostKeys }],
      ...meshWiring(addr.grpc),
      grpcMaxRequestsPerConnection: MCPGW_MAX_REQUESTS_PER_CONNECTION,
    });
    await sim.start();
    url = `${sim.url}/mcp`;
  });
  after(async () => {
    await sim.close();
    await gateway.close();
    await Promise.all(bridges.map((b) => b.close()));
  });

  it('every call of a session reaches the bridge that started its child; sessions land on both pods', async () => {
    const seen = new Set<string>();
    // Open sessions until both pods hold one (bounded), each checked for pinning over several calls.
    for (let i = 0; i < 24 && seen.size < 2; i++) {
      const s = await connect(url);
      const home = await podOf(s.client);
      assert.ok(home.startsWith('bridge-'), home);
      const bridge = bridges[home === 'bridge-a' ? 0 : 1];
      assert.ok(bridge?.logs.some((l) => l.session === s.sessionId && l.msg === 'child started'), 'the session id is the bridge\'s own');
      for (let j = 0; j < 4; j++) assert.equal(await podOf(s.client), home);
      const progress: number[] = [];
      await s.client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 0.2, steps: 2 } }, undefined, { onprogress: (p) => progress.push(p.progress) });
      assert.deepEqual(progress, [1, 2], 'progress notifications came back through the mesh');
      seen.add(home);
      await s.transport.terminateSession();
      const r = await post(url, { jsonrpc: '2.0', id: 5, method: 'tools/list' }, { 'mcp-session-id': s.sessionId, 'mcp-protocol-version': '2025-11-25' });
      assert.equal(r.status, 404, 'a deleted session is gone through the mesh too');
    }
    assert.equal(seen.size, 2, 'both bridge pods got sessions');
  });

  it('2026-07-28 clients through the mesh: no session to pin, requests spread over both pods, each answered by that pod\'s pooled child', async () => {
    const { client } = await connectModernClient(url);
    const served = new Set<string>();
    for (let i = 0; i < 24 && served.size < 2; i++) served.add(await podOf(client));
    assert.deepEqual([...served].sort(), ['bridge-a', 'bridge-b']);
    await client.close();
  });

  it('2024-11-05 HTTP+SSE (--legacy-sse) through the mesh: every POST of a stream reaches the pod holding it', async () => {
    for (let i = 0; i < 4; i++) {
      const { client } = await connectLegacySseClient(`${sim.url}/sse`);
      const home = await podOf(client);
      assert.ok(home.startsWith('bridge-'), home);
      for (let j = 0; j < 4; j++) assert.equal(await podOf(client), home);
      await client.close();
    }
  });
});
