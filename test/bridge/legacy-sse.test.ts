// `--legacy-sse`: 2024-11-05 HTTP+SSE clients (the SDK 1.x SSEClientTransport) in front of
// server-everything over stdio: GET /sse opens the session and its child, POST /messages?sessionId=…
// gets 202 and every answer rides the stream; closing the stream ends the session.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { connectLegacySseClient } from '../fixtures/index.js';
import { EVERYTHING, metric, post, startTestBridge, text, until, type TestBridge } from './harness.js';

for (const mode of ['per-session', 'shared'] as const) {
  describe(`bridge --legacy-sse (${mode} mode)`, () => {
    let bridge: TestBridge;
    before(async () => {
      bridge = await startTestBridge(EVERYTHING, ['--legacy-sse', ...(mode === 'shared' ? ['--shared'] : [])]);
    });
    after(() => bridge.close());
    /** The session id the bridge gave the newest SSE stream (the SDK transport keeps it private). */
    const newestSession = () => String([...bridge.logs].reverse().find((l) => l.msg === 'legacy SSE stream opened')?.session);

    it('an SSEClientTransport client: tools, resources, progress; closing the stream ends the session', async () => {
      const liveBefore = await metric(bridge.base, 'mcpgw_bridge_children_live');
      const { client } = await connectLegacySseClient(`${bridge.base}/sse`);
      const sessionId = newestSession();
      assert.equal(text(await client.callTool({ name: 'echo', arguments: { message: 'sse' } })), 'Echo: sse');
      const resources = (await client.listResources()).resources;
      assert.equal((await client.readResource({ uri: resources[0]!.uri })).contents[0]?.uri, resources[0]!.uri);
      const progress: number[] = [];
      await client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } }, undefined, { onprogress: (p) => progress.push(p.progress) });
      // The SDK client handles notifications a microtask later than responses: the last progress,
      // written just before the result, can lose that race on the client side (the bridge sent it).
      assert.deepEqual(progress.slice(0, 2), [1, 2]);
      if (mode === 'per-session') assert.equal(await metric(bridge.base, 'mcpgw_bridge_children_live'), liveBefore + 1, 'a child of its own');
      await client.close();
      await until('the session ended', () => bridge.logs.some((l) => l.session === sessionId && (l.reason === 'disconnected')));
      const gone = await post(`${bridge.base}/messages?sessionId=${sessionId}`, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
      assert.equal(gone.status, 404);
      if (mode === 'per-session') await until('its child is gone', async () => (await metric(bridge.base, 'mcpgw_bridge_children_live')) === liveBefore);
    });

    it('two SSE sessions side by side each get their own answers', async () => {
      const [a, b] = await Promise.all([connectLegacySseClient(`${bridge.base}/sse`), connectLegacySseClient(`${bridge.base}/sse`)]);
      const [ra, rb] = await Promise.all([a.client.callTool({ name: 'echo', arguments: { message: 'a' } }), b.client.callTool({ name: 'echo', arguments: { message: 'b' } })]);
      assert.deepEqual([text(ra), text(rb)], ['Echo: a', 'Echo: b']);
      await Promise.all([a.client.close(), b.client.close()]);
    });

    it('POSTs without a session, for an unknown session, or not JSON-RPC are refused', async () => {
      const list = { jsonrpc: '2.0', id: 1, method: 'tools/list' };
      assert.equal((await post(`${bridge.base}/messages`, list)).status, 400);
      const unknown = await post(`${bridge.base}/messages?sessionId=nope`, list);
      assert.equal(unknown.status, 404);
      assert.equal(JSON.parse(unknown.text).error.code, -32001);
      const { client } = await connectLegacySseClient(`${bridge.base}/sse`);
      const url = `${bridge.base}/messages?sessionId=${newestSession()}`;
      assert.equal((await post(url, { hello: 'world' })).status, 400);
      assert.equal((await post(url, list, { 'content-type': 'text/plain' })).status, 415);
      await client.close();
    });
  });
}

describe('bridge --legacy-sse, per-session servers that ask their client', () => {
  it('sampling requests from the child reach the SSE client and its answer reaches the child', async () => {
    const bridge = await startTestBridge(EVERYTHING, ['--legacy-sse']);
    try {
      const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
      const { SSEClientTransport } = await import('@modelcontextprotocol/sdk/client/sse.js');
      const client = new Client({ name: 'sse-sampling', version: '0' }, { capabilities: { sampling: {} } });
      client.setRequestHandler(CreateMessageRequestSchema, async () => ({ model: 'm', role: 'assistant', content: { type: 'text', text: 'sampled over sse' } }));
      await client.connect(new SSEClientTransport(new URL(`${bridge.base}/sse`)));
      const r = await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'hi' } });
      assert.match(JSON.stringify(r.content), /sampled over sse/);
      await client.close();
    } finally {
      await bridge.close();
    }
  });

  it('without --legacy-sse there is no /sse endpoint', async () => {
    const bridge = await startTestBridge(EVERYTHING);
    try {
      assert.equal((await fetch(`${bridge.base}/sse`, { headers: { accept: 'text/event-stream' } })).status, 404);
    } finally {
      await bridge.close();
    }
  });
});
