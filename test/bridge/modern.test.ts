// 2026-07-28 clients (the real `@modelcontextprotocol/client` 2.x, pinned to the revision) in front of
// server-everything over stdio: no initialize and no session from the client; the bridge initializes
// its pooled child itself, answers server/discover, relays each request. Per-session and --shared mode.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { connectModernClient } from '../fixtures/index.js';
import { EVERYTHING, FAULTS, connect, metric, post, startTestBridge, text, until, type TestBridge } from './harness.js';

const MODERN = '2026-07-28';
const envelope = { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {}, 'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '0' } };
const call = (id: number, name: string, args: Record<string, unknown>) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args, _meta: envelope } });
const modernHeaders = (method: string, name?: string) => ({ 'mcp-protocol-version': MODERN, 'mcp-method': method, ...(name ? { 'mcp-name': name } : {}) });

for (const mode of ['per-session', 'shared'] as const) {
  describe(`bridge serves 2026-07-28 clients (${mode} mode)`, () => {
    let bridge: TestBridge;
    before(async () => {
      bridge = await startTestBridge(EVERYTHING, mode === 'shared' ? ['--shared'] : []);
    });
    after(() => bridge.close());

    it('a pinned 2.x client: discover, tools, resources, prompts, progress; no session id', async () => {
      const { client } = await connectModernClient(bridge.url);
      assert.equal(client.getServerVersion()?.name, 'mcp-servers/everything');
      const tools = (await client.listTools()).tools.map((t) => t.name);
      assert.ok(tools.includes('echo'), tools.join());
      assert.deepEqual((await client.callTool({ name: 'echo', arguments: { message: 'modern' } })).content, [{ type: 'text', text: 'Echo: modern' }]);
      const resources = (await client.listResources()).resources;
      assert.equal((await client.readResource({ uri: resources[0]!.uri })).contents[0]?.uri, resources[0]!.uri);
      assert.ok((await client.getPrompt({ name: 'simple-prompt' })).messages.length > 0);
      const progress: number[] = [];
      await client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } }, { onprogress: (p) => progress.push(p.progress) });
      // SDK clients handle notifications a microtask after responses: the last progress, written just
      // before the result, can lose that race inside the client.
      assert.deepEqual(progress.slice(0, 2), [1, 2]);
      await client.close();
    });

    it('concurrent clients whose request ids collide each get their own answer, from one pooled child', async () => {
      const spawnsBefore = await metric(bridge.base, 'mcpgw_bridge_spawns_total');
      const clients = await Promise.all([0, 1, 2].map(() => connectModernClient(bridge.url)));
      const answers = await Promise.all(clients.map(({ client }, i) => client.callTool({ name: 'echo', arguments: { message: `c${i}` } })));
      assert.deepEqual(answers.map(text), ['Echo: c0', 'Echo: c1', 'Echo: c2']);
      assert.ok((await metric(bridge.base, 'mcpgw_bridge_spawns_total')) - spawnsBefore <= 1, 'no child per request');
      for (const { client } of clients) await client.close();
    });

    it('an auto-negotiating 2.x client picks 2026-07-28; a 1.x client on the same endpoint still gets a session', async () => {
      const modern = new Client({ name: 'auto', version: '0' }, { versionNegotiation: { mode: 'auto' } });
      await modern.connect(new StreamableHTTPClientTransport(new URL(bridge.url)));
      assert.equal(text(await modern.callTool({ name: 'echo', arguments: { message: 'auto' } })), 'Echo: auto');
      const legacy = await connect(bridge.url);
      assert.ok(legacy.sessionId);
      assert.equal(text(await legacy.client.callTool({ name: 'echo', arguments: { message: 'legacy' } })), 'Echo: legacy');
      await legacy.transport.terminateSession();
      await modern.close();
    });

    it('raw requests: the result carries resultType and serverInfo; envelope mismatches, removed methods, batches, GET are refused', async () => {
      const ok = await post(bridge.url, call(7, 'echo', { message: 'raw' }), { ...modernHeaders('tools/call', 'echo'), accept: 'application/json' });
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get('mcp-session-id'), null);
      const body = JSON.parse(ok.text) as { id: number; result: Record<string, unknown> & { _meta: Record<string, { name: string }> } };
      assert.equal(body.id, 7);
      assert.equal(body.result.resultType, 'complete');
      assert.equal(body.result._meta['io.modelcontextprotocol/serverInfo']?.name, 'mcp-servers/everything');

      const wrongName = await post(bridge.url, call(1, 'echo', { message: 'x' }), modernHeaders('tools/call', 'get-sum'));
      assert.equal(wrongName.status, 400);
      assert.equal(JSON.parse(wrongName.text).error.code, -32020);
      const noName = await post(bridge.url, call(1, 'echo', { message: 'x' }), modernHeaders('tools/call'));
      assert.equal(JSON.parse(noName.text).error.code, -32020);
      const future = { ...call(1, 'echo', {}), params: { name: 'echo', _meta: { ...envelope, 'io.modelcontextprotocol/protocolVersion': '2099-01-01' } } };
      for (const header of ['2099-01-01', MODERN]) {
        const unsupported = await post(bridge.url, future, { ...modernHeaders('tools/call', 'echo'), 'mcp-protocol-version': header });
        assert.equal(unsupported.status, 400);
        const error = JSON.parse(unsupported.text).error as { code: number; data: { supported: string[]; requested: string } };
        assert.equal(error.code, -32022);
        assert.equal(error.data.requested, '2099-01-01');
        assert.ok(error.data.supported.includes(MODERN));
      }
      const ping = await post(bridge.url, { jsonrpc: '2.0', id: 2, method: 'ping', params: { _meta: envelope } }, modernHeaders('ping'));
      assert.equal(ping.status, 404);
      assert.equal(JSON.parse(ping.text).error.code, -32601);
      const unknown = await post(bridge.url, { jsonrpc: '2.0', id: 4, method: 'no/such-method', params: { _meta: envelope } }, { ...modernHeaders('no/such-method'), accept: 'application/json' });
      assert.deepEqual([unknown.status, JSON.parse(unknown.text).error.code, JSON.parse(unknown.text).id], [404, -32601, 4], 'the child\'s "method not found" with the 2026-07-28 status');
      assert.equal((await post(bridge.url, [call(1, 'echo', {})], modernHeaders('tools/call', 'echo'))).status, 400);
      assert.equal((await fetch(bridge.url, { headers: { accept: 'text/event-stream', 'mcp-protocol-version': MODERN } })).status, 405);
    });
  });
}

describe('bridge 2026-07-28 cancellation', () => {
  it('closing the response stream cancels the call: the child gets notifications/cancelled', async () => {
    const bridge = await startTestBridge(FAULTS);
    try {
      const controller = new AbortController();
      const res = await fetch(bridge.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...modernHeaders('tools/call', 'hang') },
        body: JSON.stringify(call(3, 'hang', {})),
        signal: controller.signal,
      });
      assert.equal(res.status, 200);
      await until('the call is in flight', () => bridge.logs.some((l) => l.stderr === 'fault-server: hang call started'));
      controller.abort();
      await until('the child saw the cancellation', () => bridge.logs.some((l) => l.stderr === 'fault-server: hang call cancelled'));
      // The pooled child carries on.
      const again = await post(bridge.url, call(3, 'echo', { text: 'after' }), { ...modernHeaders('tools/call', 'echo'), accept: 'application/json' });
      assert.equal(text(JSON.parse(again.text).result), 'after');
    } finally {
      await bridge.close();
    }
  });
});
