// The bridge in front of a real stdio server from npm (server-everything), driven by real SDK clients
// over Streamable HTTP: everything a session carries, both ways.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateMessageRequestSchema, ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { EVERYTHING, INITIALIZE, connect, metric, post, startTestBridge, text, until, type TestBridge } from './harness.js';

describe('bridge with server-everything (stdio)', () => {
  let bridge: TestBridge;
  before(async () => {
    bridge = await startTestBridge(EVERYTHING);
  });
  after(() => bridge.close());

  it('carries tools, resources and prompts', async () => {
    const { client, transport } = await connect(bridge.url);
    const tools = (await client.listTools()).tools.map((t) => t.name);
    assert.ok(tools.includes('echo') && tools.includes('get-sum'), tools.join());
    assert.deepEqual((await client.callTool({ name: 'echo', arguments: { message: 'hello' } })).content, [{ type: 'text', text: 'Echo: hello' }]);
    const sum = await client.callTool({ name: 'get-sum', arguments: { a: 2, b: 3 } });
    assert.match(JSON.stringify(sum.content), /5/);
    const resources = (await client.listResources()).resources;
    assert.ok(resources.length > 0);
    const read = await client.readResource({ uri: resources[0]!.uri });
    assert.equal(read.contents[0]?.uri, resources[0]!.uri);
    const prompts = (await client.listPrompts()).prompts.map((p) => p.name);
    assert.ok(prompts.includes('simple-prompt'), prompts.join());
    const prompt = await client.getPrompt({ name: 'simple-prompt' });
    assert.ok(prompt.messages.length > 0);
    await transport.terminateSession();
  });

  it('relays progress notifications on the call they belong to', async () => {
    const { client, transport } = await connect(bridge.url);
    const progress: number[] = [];
    const result = await client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } }, undefined, {
      onprogress: (p) => progress.push(p.progress),
    });
    assert.deepEqual(progress, [1, 2, 3]);
    assert.match(JSON.stringify(result.content), /completed/);
    await transport.terminateSession();
  });

  it('relays sampling and elicitation requests from the server to the client and back', async () => {
    const { client, transport } = await connect(bridge.url, { capabilities: { sampling: {}, elicitation: {} } });
    client.setRequestHandler(CreateMessageRequestSchema, async (req) => ({
      model: 'test-model',
      role: 'assistant',
      content: { type: 'text', text: `sampled: ${JSON.stringify(req.params.messages[0]?.content)}` },
    }));
    client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { name: 'Ada Lovelace' } }));
    const sampled = await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'ping' } });
    assert.match(JSON.stringify(sampled.content), /sampled: .*ping/);
    const elicited = await client.callTool({ name: 'trigger-elicitation-request', arguments: {} });
    assert.match(JSON.stringify(elicited.content), /Ada Lovelace/);
    await transport.terminateSession();
  });

  it('cancellation: the client aborts a call, the session carries on', async () => {
    const { client, transport } = await connect(bridge.url);
    const controller = new AbortController();
    const call = client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 60, steps: 60 } }, undefined, {
      signal: controller.signal,
      onprogress: () => controller.abort('enough'),
    });
    await assert.rejects(call);
    assert.deepEqual((await client.callTool({ name: 'echo', arguments: { message: 'still here' } })).content, [{ type: 'text', text: 'Echo: still here' }]);
    await transport.terminateSession();
  });

  it('a cancelled request ends the POST stream that waited for it', async () => {
    const init = await post(bridge.url, INITIALIZE(), { accept: 'application/json' });
    const session = init.headers.get('mcp-session-id') ?? '';
    const h = { 'mcp-session-id': session, 'mcp-protocol-version': '2025-03-26' };
    assert.equal((await post(bridge.url, { jsonrpc: '2.0', method: 'notifications/initialized' }, h)).status, 202);
    const call = { jsonrpc: '2.0', id: 'slow', method: 'tools/call', params: { name: 'trigger-long-running-operation', arguments: { duration: 60, steps: 60 }, _meta: { progressToken: 'p1' } } };
    const res = await fetch(bridge.url, { method: 'POST', headers: { ...h, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify(call) });
    assert.equal(res.headers.get('content-type'), 'text/event-stream');
    const reader = res.body!.getReader();
    let seen = '';
    // Cancel once the call is surely running: its first progress notification has arrived.
    while (!seen.includes('notifications/progress')) {
      const { value, done } = await reader.read();
      assert.ok(!done, 'the stream ended before any progress');
      seen += Buffer.from(value).toString('utf8');
    }
    const cancel = { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'slow', reason: 'test' } };
    assert.equal((await post(bridge.url, cancel, h)).status, 202);
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += Buffer.from(value).toString('utf8');
    }
    assert.doesNotMatch(seen, /completed/);
    await fetch(bridge.url, { method: 'DELETE', headers: h });
  });

  it('keeps a batch a batch, ids as sent, in a JSON reply (2025-03-26)', async () => {
    const init = await post(bridge.url, INITIALIZE('init-1'), { accept: 'application/json' });
    assert.equal(init.status, 200);
    assert.equal(JSON.parse(init.text).id, 'init-1');
    const h = { 'mcp-session-id': init.headers.get('mcp-session-id') ?? '', 'mcp-protocol-version': '2025-03-26', accept: 'application/json' };
    await post(bridge.url, { jsonrpc: '2.0', method: 'notifications/initialized' }, h);
    const batch = [
      { jsonrpc: '2.0', id: 'b', method: 'tools/call', params: { name: 'echo', arguments: { message: 'two' } } },
      { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'echo', arguments: { message: 'one' } } },
      { jsonrpc: '2.0', method: 'notifications/roots/list_changed' },
    ];
    const r = await post(bridge.url, batch, h);
    assert.equal(r.status, 200);
    const body = JSON.parse(r.text) as Array<{ id: unknown; result: { content: Array<{ text: string }> } }>;
    assert.deepEqual(body.map((m) => [m.id, m.result.content[0]?.text]), [['b', 'Echo: two'], [7, 'Echo: one']]);
    await fetch(bridge.url, { method: 'DELETE', headers: h });
  });

  it('each session-era revision: initialize with it, then calls carrying it in MCP-Protocol-Version; an unknown one is 400', async () => {
    for (const revision of ['2025-03-26', '2025-06-18', '2025-11-25']) {
      const init = await post(bridge.url, INITIALIZE(1, revision), { accept: 'application/json' });
      assert.equal(JSON.parse(init.text).result.protocolVersion, revision, 'the stdio server agreed to the revision');
      const h = { 'mcp-session-id': init.headers.get('mcp-session-id') ?? '', 'mcp-protocol-version': revision, accept: 'application/json' };
      assert.equal((await post(bridge.url, { jsonrpc: '2.0', method: 'notifications/initialized' }, h)).status, 202);
      const r = await post(bridge.url, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { message: revision } } }, h);
      assert.equal(text(JSON.parse(r.text).result), `Echo: ${revision}`);
      const unknown = await post(bridge.url, { jsonrpc: '2.0', id: 3, method: 'tools/list' }, { ...h, 'mcp-protocol-version': '1999-01-01' });
      assert.equal(unknown.status, 400);
      assert.equal(JSON.parse(unknown.text).error.data.requested, '1999-01-01');
      await fetch(bridge.url, { method: 'DELETE', headers: h });
    }
  });

  it('one child per session; DELETE ends it and the session id then gets 404', async () => {
    const a = await connect(bridge.url);
    const b = await connect(bridge.url);
    assert.notEqual(a.sessionId, b.sessionId);
    assert.equal(await metric(bridge.base, 'mcpgw_bridge_children_live'), 2);
    await a.transport.terminateSession();
    const r = await post(bridge.url, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { 'mcp-session-id': a.sessionId, 'mcp-protocol-version': '2025-11-25' });
    assert.equal(r.status, 404);
    assert.equal(JSON.parse(r.text).error.code, -32001);
    assert.ok((await b.client.listTools()).tools.length > 0);
    await b.transport.terminateSession();
    await until('both children gone', async () => (await metric(bridge.base, 'mcpgw_bridge_children_live')) === 0);
    assert.ok((await metric(bridge.base, 'mcpgw_bridge_exits_total', '{reason="deleted"}')) >= 2);
    assert.ok((await metric(bridge.base, 'mcpgw_bridge_spawns_total')) >= 2);
    assert.ok((await metric(bridge.base, 'mcpgw_bridge_session_bytes_count', '{direction="from_child"}')) >= 2, 'per-session bytes observed at each end');
    assert.ok((await metric(bridge.base, 'mcpgw_bridge_bytes_total', '{direction="from_child"}')) > 0);
  });

  it('refuses what is not a session request: missing session, unknown session, not JSON, not JSON-RPC', async () => {
    const list = { jsonrpc: '2.0', id: 1, method: 'tools/list' };
    assert.equal((await post(bridge.url, list)).status, 400);
    assert.equal((await post(bridge.url, list, { 'mcp-session-id': 'nope' })).status, 404);
    const notJson = await post(bridge.url, '{not json');
    assert.equal(notJson.status, 400);
    assert.equal(JSON.parse(notJson.text).error.code, -32700);
    assert.equal((await post(bridge.url, { hello: 'world' })).status, 400);
    assert.equal((await post(bridge.url, list, { 'content-type': 'text/plain' })).status, 415);
    assert.equal((await fetch(`${bridge.base}/elsewhere`)).status, 404);
  });
});
