import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CheckRequest } from '../../src/envoy/index.js';
import { postHeaders, startGateway, type RunningGateway } from './harness.js';
import { httpStatusNumber } from '../../src/envoy/index.js';

function checkRequest(headers: Record<string, string>, body?: string): CheckRequest {
  const h = { ...headers };
  if (body !== undefined) h['x-envoy-auth-partial-body'] = 'false';
  return { attributes: { request: { http: { method: h[':method'], path: h[':path'], host: h[':authority'], headers: h, ...(body !== undefined ? { body } : {}) } } } };
}

const call = (name: string, id: number | string = 1) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {} } });

describe('ext_authz Check', () => {
  let gw: RunningGateway;
  before(async () => (gw = await startGateway()));
  after(() => gw.close());

  it('allows a tools/call and sets x-mcp-method / x-mcp-name with value and append:false', async () => {
    const r = await gw.check(checkRequest(postHeaders({ 'x-mcp-method': 'spoofed' }), call('echo')));
    assert.equal(r.status.code, 0);
    const headers = r.ok_response?.headers ?? [];
    assert.deepEqual(
      headers.map((h) => [h.header.key, h.header.value, h.append?.value ?? false]),
      [['x-mcp-method', 'tools/call', false], ['x-mcp-name', 'echo', false]],
    );
    const removed = r.ok_response?.headers_to_remove ?? [];
    for (const h of ['x-mcp-affinity', 'x-mcp-principal', 'authorization']) assert.ok(removed.includes(h), `${h} removed: clients never choose pods, spoof identity or pass tokens`);
    assert.ok(!removed.includes('x-mcp-method'));
  });

  it('denies a tool on the deny list with 403 and a JSON-RPC error echoing the id', async () => {
    const r = await gw.check(checkRequest(postHeaders(), call('delete_everything', 'req-9')));
    assert.notEqual(r.status.code, 0);
    assert.equal(httpStatusNumber(r.denied_response?.status?.code), 403);
    assert.equal(r.denied_response?.headers?.find((h) => h.header.key === 'content-type')?.header.value, 'application/json');
    const body = JSON.parse(r.denied_response?.body ?? '');
    assert.equal(body.id, 'req-9');
    assert.equal(body.jsonrpc, '2.0');
    assert.match(body.error.message, /delete_everything/);
  });

  it('without a body decides from headers: allows and strips client copies of owned headers', async () => {
    const r = await gw.check(checkRequest(postHeaders({ 'x-mcp-name': 'spoofed' })));
    assert.equal(r.status.code, 0);
    const removed = r.ok_response?.headers_to_remove ?? [];
    for (const h of ['x-mcp-affinity', 'x-mcp-method', 'x-mcp-name']) assert.ok(removed.includes(h), h);
  });

  it('without a body still denies from 2026-07-28 Mcp-Method / Mcp-Name headers', async () => {
    const r = await gw.check(checkRequest(postHeaders({ 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'delete_all' })));
    assert.equal(httpStatusNumber(r.denied_response?.status?.code), 403);
  });

  it('a lying Mcp-Name is caught against the body: 400 -32020', async () => {
    const r = await gw.check(checkRequest(postHeaders({ 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'echo' }), call('delete_all')));
    assert.equal(httpStatusNumber(r.denied_response?.status?.code), 400);
    assert.equal(JSON.parse(r.denied_response?.body ?? '').error.code, -32020);
  });

  it('invalid JSON is 400 -32700; an unknown host is 404', async () => {
    const bad = await gw.check(checkRequest(postHeaders(), '{not json'));
    assert.equal(httpStatusNumber(bad.denied_response?.status?.code), 400);
    assert.equal(JSON.parse(bad.denied_response?.body ?? '').error.code, -32700);
    const unknown = await gw.check(checkRequest({ ...postHeaders(), ':authority': 'elsewhere.test' }, call('echo')));
    assert.equal(httpStatusNumber(unknown.denied_response?.status?.code), 404);
  });

  it('a declared content-length over the limit is 413 even without the body', async () => {
    const r = await gw.check(checkRequest(postHeaders({ 'content-length': String(10 * 1024 * 1024) })));
    assert.equal(httpStatusNumber(r.denied_response?.status?.code), 413);
  });
});
