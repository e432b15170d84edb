// Foundation end to end: a real SDK client → envoy-sim → mcpgw (ext_authz + ext_proc) → real SDK pods.
// Table-driven over the hook wiring, since a mesh may run ext_authz, ext_proc, or both.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { connectClient, rawPost } from '../fixtures/index.js';
import { startStack, type Stack } from './stack.js';

const wirings = [
  { name: 'ext_authz + ext_proc', extAuthz: true, extProc: true },
  { name: 'ext_authz only', extAuthz: true, extProc: false },
  { name: 'ext_proc only', extAuthz: false, extProc: true },
];

const jsonRpc = (method: string, params: unknown, id: number | string = 1) => JSON.stringify({ jsonrpc: '2.0', id, method, params });
const postHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

for (const wiring of wirings) {
  describe(`foundation e2e (${wiring.name})`, () => {
    let stack: Stack;
    // Until session pinning lands, each client picks its own hash key so its session stays on one pod.
    const affinity = () => ({ 'x-test-affinity': randomUUID() });
    before(async () => (stack = await startStack({ extAuthz: wiring.extAuthz, extProc: wiring.extProc })));
    after(() => stack.close());

    it('initialize, tools/list and an allowed tools/call reach the pod, with owned headers set', async () => {
      const { client } = await connectClient(stack.url, { headers: { ...affinity(), 'x-mcp-method': 'forged', 'x-mcp-name': 'forged' } });
      const tools = await client.listTools();
      assert.ok(tools.tools.some((t) => t.name === 'whoami'));
      const result = await client.callTool({ name: 'whoami', arguments: {} });
      const pod = (result.structuredContent as { pod: string }).pod;
      assert.match(pod, /^pod-[abc]$/);
      const served = stack.sim.log.filter((e) => e.upstream && e.method === 'POST').at(-1);
      assert.equal(served?.upstreamHeaders?.['x-mcp-method'], 'tools/call');
      assert.equal(served?.upstreamHeaders?.['x-mcp-name'], 'whoami');
      const init = stack.sim.log.find((e) => e.upstreamHeaders?.['x-mcp-method'] === 'initialize');
      assert.ok(init, 'initialize reached a pod with x-mcp-method set');
      assert.equal(init.upstreamHeaders?.['x-mcp-name'], undefined, 'a forged x-mcp-name never reaches the pod');
      await client.close();
    });

    it('a tool on the deny list is refused with 403 and a JSON-RPC error the SDK client surfaces', async () => {
      const { client } = await connectClient(stack.url, { headers: affinity() });
      await assert.rejects(client.callTool({ name: 'delete_everything', arguments: {} }), (err: Error & { code?: number }) => {
        assert.match(err.message, /403|delete_everything/);
        return true;
      });
      const before = stack.pods.reduce((n, p) => n + p.requests.filter((r) => JSON.stringify(r).includes('delete_everything')).length, 0);
      assert.equal(before, 0, 'the denied call never reached a pod');
      await client.close();
    });

    it('raw denial: 403, JSON content type, the request id echoed', async () => {
      const r = await rawPost(stack.url, jsonRpc('tools/call', { name: 'delete_all', arguments: {} }, 'abc'), { ...postHeaders, ...affinity() });
      assert.equal(r.status, 403);
      assert.match(String(r.headers['content-type']), /application\/json/);
      const body = JSON.parse(r.body);
      assert.equal(body.id, 'abc');
      assert.equal(body.jsonrpc, '2.0');
      assert.ok(body.error.code < -32768 || body.error.code > -32000, 'no invented code in the reserved range');
    });

    it('invalid JSON is 400 with -32700', async () => {
      const r = await rawPost(stack.url, '{"jsonrpc": "2.0", "id": 1, "method": ', postHeaders);
      assert.equal(r.status, 400);
      assert.equal(JSON.parse(r.body).error.code, -32700);
    });

    it('a JSON value that is not JSON-RPC is 400 with -32600', async () => {
      const r = await rawPost(stack.url, '{"hello":"world"}', postHeaders);
      assert.equal(r.status, 400);
      assert.equal(JSON.parse(r.body).error.code, -32600);
    });

    it('a body over the configured limit is 413 with a JSON-RPC body', async () => {
      const big = jsonRpc('tools/call', { name: 'echo', arguments: { text: 'x'.repeat(100_000) } });
      const r = await rawPost(stack.url, big, postHeaders);
      assert.equal(r.status, 413);
      assert.equal(JSON.parse(r.body).jsonrpc, '2.0');
    });

    it('a batch in 2025-11-25 is refused with 400 -32600', async () => {
      const r = await rawPost(stack.url, `[${jsonRpc('ping', {})}]`, { ...postHeaders, 'mcp-protocol-version': '2025-11-25' });
      assert.equal(r.status, 400);
      assert.equal(JSON.parse(r.body).error.code, -32600);
    });

    it('SSE responses stream: progress notifications arrive before the result', async () => {
      const { client } = await connectClient(stack.url, { headers: affinity() });
      const seen: string[] = [];
      const result = await client.callTool({ name: 'slow_count', arguments: { n: 3, delayMs: 20 } }, undefined, {
        onprogress: (p) => seen.push(`progress ${p.progress}`),
      });
      seen.push('result');
      assert.deepEqual(seen, ['progress 1', 'progress 2', 'progress 3', 'result']);
      assert.equal(result.isError ?? false, false);
      await client.close();
    });
  });
}

describe('foundation e2e: Envoy limits and local replies', () => {
  let stack: Stack;
  before(async () => (stack = await startStack({ bufferLimitBytes: 16 * 1024, extAuthz: false })));
  after(() => stack.close());

  it("Envoy's own 413 (buffer limit) passes through mcpgw's response phase", async () => {
    const r = await rawPost(stack.url, jsonRpc('tools/call', { name: 'echo', arguments: { text: 'y'.repeat(20_000) } }), postHeaders);
    assert.equal(r.status, 413);
    const entry = stack.sim.log.at(-1);
    assert.ok(entry?.localReply, 'a local reply');
  });
});
