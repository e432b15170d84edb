import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { checkMirroredHeaders, isRefusal, parseBody, readMirroredHeaders, revisionOf, type McpRefusal, type ParsedBody } from '../../src/mcp/index.js';

const limits = { maxBodyBytes: 4096, maxBatchSize: 3, maxJsonDepth: 8, maxStringBytes: 64, maxNameBytes: { names: 32, resourceUris: 48 } };
const legacy = revisionOf('2025-03-26');
const current = revisionOf('2025-11-25');

function refused(v: ParsedBody | McpRefusal): McpRefusal {
  assert.ok(isRefusal(v), `expected a refusal, got ${JSON.stringify(v)}`);
  return v;
}
function parsed(v: ParsedBody | McpRefusal): ParsedBody {
  assert.ok(!isRefusal(v), `expected messages, got ${JSON.stringify(v)}`);
  return v;
}

describe('parseBody', () => {
  it('reads a tools/call with its tool name', () => {
    const p = parsed(parseBody('{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{}}}', current, limits));
    assert.deepEqual(p.messages[0], { kind: 'request', id: 7, method: 'tools/call', name: 'echo', nameKind: 'tool', params: { name: 'echo', arguments: {} } });
  });
  it('reads resources/read by URI and prompts/get by name', () => {
    assert.equal(parsed(parseBody('{"jsonrpc":"2.0","id":"a","method":"resources/read","params":{"uri":"file:///x"}}', current, limits)).messages[0]?.name, 'file:///x');
    assert.equal(parsed(parseBody('{"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":"greet"}}', current, limits)).messages[0]?.nameKind, 'prompt');
  });
  it('tells notifications and responses from requests', () => {
    assert.equal(parsed(parseBody('{"jsonrpc":"2.0","method":"notifications/initialized"}', current, limits)).messages[0]?.kind, 'notification');
    assert.equal(parsed(parseBody('{"jsonrpc":"2.0","id":3,"result":{}}', current, limits)).messages[0]?.kind, 'response');
  });
  it('invalid JSON is -32700 with HTTP 400', () => {
    const r = refused(parseBody('{"jsonrpc":', current, limits));
    assert.equal(r.status, 400);
    assert.equal(r.code, -32700);
  });
  it('invalid UTF-8 is -32700', () => {
    assert.equal(refused(parseBody(Buffer.from([0x7b, 0xff, 0x7d]), current, limits)).code, -32700);
  });
  it('a JSON value that is not JSON-RPC is -32600 and keeps a readable id', () => {
    const r = refused(parseBody('{"id":5,"method":"x"}', current, limits));
    assert.equal(r.code, -32600);
    assert.equal(r.id, 5);
    assert.equal(refused(parseBody('42', current, limits)).code, -32600);
  });
  it('tools/call without a name is refused, so a deny list cannot be bypassed', () => {
    const r = refused(parseBody('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{}}', current, limits));
    assert.equal(r.code, -32602);
    assert.equal(r.id, 1);
  });
  it('a body over the limit is 413', () => {
    assert.equal(refused(parseBody('x'.repeat(5000), current, limits)).status, 413);
  });
  it('deep nesting and huge strings are bounded', () => {
    assert.equal(refused(parseBody('['.repeat(20) + ']'.repeat(20), legacy, limits)).reason, 'json_bounds');
    const big = `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"s":"${'a'.repeat(100)}"}}`;
    assert.equal(refused(parseBody(big, current, limits)).reason, 'json_bounds');
  });
  it('batches are refused in revisions that removed them', () => {
    const r = refused(parseBody('[{"jsonrpc":"2.0","id":1,"method":"ping"}]', current, limits));
    assert.equal(r.status, 400);
    assert.equal(r.code, -32600);
  });
  it('2025-03-26 batches: every element inspected, size capped', () => {
    const p = parsed(parseBody('[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a"}},{"jsonrpc":"2.0","method":"notifications/x"}]', legacy, limits));
    assert.equal(p.batch, true);
    assert.deepEqual(p.messages.map((m) => m.name ?? m.method), ['a', 'notifications/x']);
    const four = JSON.stringify(Array.from({ length: 4 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'ping' })));
    assert.equal(refused(parseBody(four, legacy, limits)).reason, 'batch_too_large');
    assert.equal(refused(parseBody('[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{}}]', legacy, limits)).code, -32602);
  });
  it('an unknown revision is judged by shape: batches pass to the server', () => {
    assert.equal(revisionOf('2099-01-01').known, false);
    parsed(parseBody('[{"jsonrpc":"2.0","id":1,"method":"ping"}]', revisionOf('2099-01-01'), limits));
  });
  it('names over requests.maxNameBytes are 400 -32602 with the request id, before any matching', () => {
    const call = (name: string, id: number | string = 9) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name } });
    parsed(parseBody(call('t'.repeat(32)), current, limits));
    const r = refused(parseBody(call('t'.repeat(33), 'x'), current, limits));
    assert.deepEqual([r.status, r.code, r.id, r.reason], [400, -32602, 'x', 'name_too_long']);
    assert.match(r.message, /tool name is longer than 32 bytes/);
    // Bytes, not characters: sixteen two-byte letters fit, seventeen do not.
    parsed(parseBody(call('é'.repeat(16)), current, limits));
    assert.equal(refused(parseBody(call('é'.repeat(17)), current, limits)).code, -32602);
    const prompt = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'prompts/get', params: { name: 'p'.repeat(33) } });
    assert.match(refused(parseBody(prompt, current, limits)).message, /prompt name/);
  });
  it('resource URIs have their own, larger cap', () => {
    const read = (uri: string) => JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'resources/read', params: { uri } });
    parsed(parseBody(read(`file:///${'u'.repeat(40)}`), current, limits));
    const r = refused(parseBody(read(`file:///${'u'.repeat(41)}`), current, limits));
    assert.deepEqual([r.status, r.code, r.id], [400, -32602, 3]);
    assert.match(r.message, /resource URI is longer than 48 bytes/);
  });
  it('a method over the name cap is 400 -32600, in a batch element too', () => {
    const r = refused(parseBody(JSON.stringify({ jsonrpc: '2.0', id: 4, method: `x/${'m'.repeat(31)}` }), current, limits));
    assert.deepEqual([r.status, r.code, r.id, r.reason], [400, -32600, 4, 'name_too_long']);
    const batch = JSON.stringify([{ jsonrpc: '2.0', id: 1, method: 'ping' }, { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'n'.repeat(33) } }]);
    const b = refused(parseBody(batch, legacy, limits));
    assert.deepEqual([b.code, b.id], [-32602, 5]);
  });
  it('never throws on arbitrary JSON-RPC-shaped input', () => {
    const value = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.integer(), fc.constant(null), fc.boolean(), fc.object({ maxDepth: 2 }));
    const message = fc.record(
      { jsonrpc: fc.oneof(fc.constant('2.0'), value), id: value, method: fc.oneof(fc.constantFrom('tools/call', 'resources/read', 'prompts/get', 'tasks/get', 'initialize'), value), params: fc.oneof(fc.record({ name: value, uri: value, taskId: value }, { requiredKeys: [] }), value), result: value },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(message, fc.array(message, { maxLength: 5 })), fc.constantFrom(legacy, current, revisionOf('2026-07-28')), (input, revision) => {
        const r = parseBody(JSON.stringify(input), revision, limits);
        assert.ok(isRefusal(r) ? r.status >= 400 && typeof r.code === 'number' : r.messages.length > 0);
      }),
      { numRuns: 2000 },
    );
  });
  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.uint8Array()), (input) => {
        const r = parseBody(input, legacy, limits);
        assert.ok(isRefusal(r) ? r.status >= 400 : r.messages.length > 0);
      }),
      { numRuns: 500 },
    );
  });
});

describe('mirrored headers (2026-07-28)', () => {
  const modern = revisionOf('2026-07-28');
  const call = { kind: 'request' as const, id: 1, method: 'tools/call', name: 'echo', nameKind: 'tool' as const };
  const headers = (h: Record<string, string>) => readMirroredHeaders((n) => h[n]);
  it('agreeing headers pass', () => {
    assert.equal(checkMirroredHeaders(headers({ 'mcp-method': 'tools/call', 'mcp-name': 'echo' }), call, modern), undefined);
  });
  it('a lying Mcp-Name is 400 -32020', () => {
    const r = checkMirroredHeaders(headers({ 'mcp-method': 'tools/call', 'mcp-name': 'other' }), call, modern);
    assert.equal(r?.status, 400);
    assert.equal(r?.code, -32020);
  });
  it('a missing required header counts as a mismatch in 2026-07-28 but not before', () => {
    assert.equal(checkMirroredHeaders(headers({ 'mcp-method': 'tools/call' }), call, modern)?.code, -32020);
    assert.equal(checkMirroredHeaders(headers({}), call, current), undefined);
  });
  it('base64-encoded values are decoded', () => {
    const name = 'ünïcode';
    const h = headers({ 'mcp-method': 'tools/call', 'mcp-name': `=?base64?${Buffer.from(name).toString('base64')}?=` });
    assert.equal(checkMirroredHeaders(h, { ...call, name }, modern), undefined);
  });
});
