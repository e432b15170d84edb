// List filtering on bodies produced by real SDK servers: SDK 1.x SSE-framed and JSON replies, and the
// SDK 2.x 2026-07-28 JSON reply, filtered with a compiled policy for two callers with different scopes.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createParser } from 'eventsource-parser';
import { ListPromptsResultSchema, ListResourcesResultSchema, ListToolsResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { compilePolicy, type Caller } from '../../src/policy/index.js';
import { filterJsonBody, type ListedItem } from '../../src/mcp/listFilter.js';
import { SseListRewriter } from '../../src/mcp/sseRewrite.js';
import { rawPost, startMcpPod, startModernPod, type McpPod } from '../fixtures/index.js';

const policy = compilePolicy({
  defaultEffect: 'deny',
  rules: [
    { effect: 'allow', tools: ['whoami', 'echo', 'search_docs', 'slow_count'], scopes: { anyOf: ['mcp:read', 'mcp:admin'] } },
    { effect: 'allow', tools: ['delete_everything'], scopes: { allOf: ['mcp:admin'] } },
    { effect: 'allow', prompts: ['greet'], scopes: { allOf: ['mcp:admin'] } },
    { effect: 'allow', resources: ['pod://*'] },
  ],
});
const reader: Caller = { principalId: 'reader', scopes: ['mcp:read'], roles: [], groups: [] };
const admin: Caller = { principalId: 'admin', scopes: ['mcp:read', 'mcp:admin'], roles: [], groups: [] };
const visibleTo = (caller: Caller) => (item: ListedItem) => policy.visible(caller, item);

const ACCEPT = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const pods: McpPod[] = [];
after(() => Promise.all(pods.map((p) => p.close())));

async function legacySession(responseMode: 'sse' | 'json'): Promise<(method: string, id: number) => Promise<{ contentType: string; body: Uint8Array }>> {
  const pod = await startMcpPod({ name: `p-${responseMode}`, responseMode });
  pods.push(pod);
  const init = await rawPost(pod.url, JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '0' } } }), ACCEPT);
  const headers = { ...ACCEPT, 'mcp-session-id': String(init.headers['mcp-session-id']), 'mcp-protocol-version': '2025-11-25' };
  return async (method, id) => {
    const r = await rawPost(pod.url, JSON.stringify({ jsonrpc: '2.0', id, method, params: {} }), headers);
    assert.equal(r.status, 200);
    return { contentType: String(r.headers['content-type']), body: Buffer.from(r.body, 'utf8') };
  };
}

/** Runs an SSE body through the rewriter in small chunks and returns the single event's JSON. */
function rewriteSse(body: Uint8Array, method: string, id: number, caller: Caller): { raw: string; message: { id: unknown; result: unknown } } {
  const rw = new SseListRewriter(method, id, visibleTo(caller));
  const out: Uint8Array[] = [];
  for (let at = 0; at < body.length; at += 7) out.push(rw.push(body.subarray(at, at + 7)));
  out.push(rw.end());
  const raw = Buffer.concat(out).toString('utf8');
  const data: string[] = [];
  createParser({ onEvent: (e) => data.push(e.data) }).feed(raw);
  assert.equal(data.length, 1);
  return { raw, message: JSON.parse(data[0]!) };
}

const names = (result: unknown, field: string, key = 'name') => ((result as Record<string, Record<string, string>[]>)[field] ?? []).map((i) => i[key]);

test('SDK 1.x SSE replies: tools, prompts and resources filtered per caller, still valid results', async () => {
  const post = await legacySession('sse');
  const tools = await post('tools/list', 1);
  assert.match(tools.contentType, /text\/event-stream/);
  const forReader = rewriteSse(tools.body, 'tools/list', 1, reader);
  assert.match(forReader.raw, /^event: message\n/);
  assert.equal(forReader.message.id, 1);
  assert.deepEqual(names(ListToolsResultSchema.parse(forReader.message.result), 'tools'), ['whoami', 'echo', 'slow_count', 'search_docs']);
  const forAdmin = rewriteSse(tools.body, 'tools/list', 1, admin);
  assert.equal(forAdmin.raw, Buffer.from(tools.body).toString('utf8'), 'nothing hidden: the same bytes');

  const prompts = await post('prompts/list', 2);
  assert.deepEqual(names(ListPromptsResultSchema.parse(rewriteSse(prompts.body, 'prompts/list', 2, reader).message.result), 'prompts'), []);
  assert.deepEqual(names(ListPromptsResultSchema.parse(rewriteSse(prompts.body, 'prompts/list', 2, admin).message.result), 'prompts'), ['greet']);

  const resources = await post('resources/list', 3);
  assert.deepEqual(names(ListResourcesResultSchema.parse(rewriteSse(resources.body, 'resources/list', 3, reader).message.result), 'resources', 'uri'), ['pod://info']);
});

test('SDK 1.x JSON replies: filtered bodies parse as list results', async () => {
  const post = await legacySession('json');
  const tools = await post('tools/list', 5);
  assert.match(tools.contentType, /application\/json/);
  const filtered = filterJsonBody(tools.body, 'tools/list', 5, visibleTo(reader));
  assert.ok(filtered);
  const message = JSON.parse(Buffer.from(filtered).toString('utf8'));
  assert.equal(message.id, 5);
  assert.deepEqual(names(ListToolsResultSchema.parse(message.result), 'tools'), ['whoami', 'echo', 'slow_count', 'search_docs']);
  assert.equal(filterJsonBody(tools.body, 'tools/list', 5, visibleTo(admin)), undefined);
});

test('SDK 2.x 2026-07-28 JSON reply: filtered, cacheable fields kept, never public', async () => {
  const pod = await startModernPod({ name: 'modern' });
  pods.push(pod);
  const meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };
  const r = await rawPost(pod.url, JSON.stringify({ jsonrpc: '2.0', id: 'list-1', method: 'tools/list', params: { _meta: meta } }), {
    ...ACCEPT,
    'mcp-protocol-version': '2026-07-28',
    'mcp-method': 'tools/list',
  });
  assert.equal(r.status, 200);
  const upstream = JSON.parse(r.body);
  const filtered = filterJsonBody(Buffer.from(r.body, 'utf8'), 'tools/list', 'list-1', visibleTo(reader));
  assert.ok(filtered);
  const message = JSON.parse(Buffer.from(filtered).toString('utf8'));
  assert.deepEqual(names(message.result, 'tools'), ['whoami', 'echo', 'slow_count', 'search_docs']);
  assert.deepEqual({ ...message.result, tools: undefined }, { ...upstream.result, tools: undefined }, 'resultType, ttlMs, cacheScope, _meta unchanged');
  assert.notEqual(message.result.cacheScope, 'public');
});
