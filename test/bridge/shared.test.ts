// Shared mode (`--shared`): one server-everything child behind every session, real SDK clients and raw
// requests whose ids collide across sessions.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { EVERYTHING, INITIALIZE, connect, metric, post, startTestBridge, text, until, type TestBridge } from './harness.js';

describe('bridge --shared with server-everything (stdio)', () => {
  let bridge: TestBridge;
  before(async () => {
    bridge = await startTestBridge(EVERYTHING, ['--shared', '--max-sessions', '1']);
  });
  after(() => bridge.close());

  /** A raw session: initialize (answered from the cache after the first) and initialized. */
  async function rawSession() {
    const init = await post(bridge.url, INITIALIZE(1), { accept: 'application/json' });
    assert.equal(init.status, 200);
    const body = JSON.parse(init.text) as { id: unknown; result: { protocolVersion: string; serverInfo: unknown } };
    assert.equal(body.id, 1);
    const h = { 'mcp-session-id': init.headers.get('mcp-session-id') ?? '', 'mcp-protocol-version': body.result.protocolVersion, accept: 'application/json' };
    assert.equal((await post(bridge.url, { jsonrpc: '2.0', method: 'notifications/initialized' }, h)).status, 202);
    return { h, init: body };
  }

  it('two sessions using the same request id each get their own answer', async () => {
    const a = await rawSession();
    const b = await rawSession();
    assert.notEqual(a.h['mcp-session-id'], b.h['mcp-session-id']);
    assert.deepEqual(b.init.result, a.init.result, 'the later initialize is answered from the cached result');
    const call = (message: string) => ({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { message } } });
    const [ra, rb] = await Promise.all([post(bridge.url, call('from a'), a.h), post(bridge.url, call('from b'), b.h)]);
    assert.deepEqual([JSON.parse(ra.text).id, text(JSON.parse(ra.text).result)], [1, 'Echo: from a']);
    assert.deepEqual([JSON.parse(rb.text).id, text(JSON.parse(rb.text).result)], [1, 'Echo: from b']);
    for (const s of [a, b]) await fetch(bridge.url, { method: 'DELETE', headers: s.h });
  });

  it('one child for N SDK sessions (the session cap does not apply); DELETE ends only that session', async () => {
    const spawnsBefore = await metric(bridge.base, 'mcpgw_bridge_spawns_total');
    const clients = await Promise.all([1, 2, 3].map(() => connect(bridge.url)));
    assert.equal(new Set(clients.map((c) => c.sessionId)).size, 3);
    const results = await Promise.all(clients.map((c, i) => c.client.callTool({ name: 'echo', arguments: { message: `n${i}` } })));
    assert.deepEqual(results.map(text), ['Echo: n0', 'Echo: n1', 'Echo: n2']);
    const progress: number[] = [];
    await clients[1]!.client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } }, undefined, { onprogress: (p) => progress.push(p.progress) });
    assert.deepEqual(progress, [1, 2, 3]);
    assert.equal(await metric(bridge.base, 'mcpgw_bridge_children_live'), 1);
    assert.equal(await metric(bridge.base, 'mcpgw_bridge_spawns_total'), spawnsBefore);
    assert.equal((await fetch(`${bridge.base}/readyz`)).status, 200);

    await clients[0]!.transport.terminateSession();
    const gone = await post(bridge.url, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { 'mcp-session-id': clients[0]!.sessionId, 'mcp-protocol-version': '2025-11-25' });
    assert.equal(gone.status, 404);
    assert.equal(text(await clients[1]!.client.callTool({ name: 'echo', arguments: { message: 'still' } })), 'Echo: still');
    assert.equal(await metric(bridge.base, 'mcpgw_bridge_children_live'), 1);
    for (const c of clients.slice(1)) await c.transport.terminateSession();
  });

  it('a server notification without a request context goes to every open GET stream', async () => {
    const clients = await Promise.all([1, 2].map(() => connect(bridge.url)));
    const seen = clients.map(() => [] as string[]);
    clients.forEach((c, i) => c.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void seen[i]!.push(String(n.params.data))));
    // server-everything logs to "its client" at once and every 5 s: on stdio that is every session.
    await clients[0]!.client.callTool({ name: 'toggle-simulated-logging', arguments: {} });
    await until('both sessions got a log message', () => seen.every((s) => s.length > 0));
    await clients[0]!.client.callTool({ name: 'toggle-simulated-logging', arguments: {} });
    for (const c of clients) await c.transport.terminateSession();
  });

  it('the child exiting ends every session: the next request gets 404, a new initialize starts a new child', async () => {
    const a = await rawSession();
    const b = await rawSession();
    const pid = ([...bridge.logs].reverse().find((l) => l.msg === 'child started')?.pid ?? 0) as number;
    assert.ok(pid > 0);
    process.kill(pid, 'SIGKILL');
    await until('the child exit was seen', async () => (await metric(bridge.base, 'mcpgw_bridge_exits_total', '{reason="exited"}')) >= 1);
    for (const s of [a, b]) assert.equal((await post(bridge.url, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, s.h)).status, 404);
    const c = await connect(bridge.url);
    assert.equal(text(await c.client.callTool({ name: 'echo', arguments: { message: 'again' } })), 'Echo: again');
    assert.equal(await metric(bridge.base, 'mcpgw_bridge_children_live'), 1);
    await c.transport.terminateSession();
  });
});
