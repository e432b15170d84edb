import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { headerMap, postHeaders, rawHeader, startGateway, type RunningGateway } from './harness.js';
import { httpStatusNumber } from '../../src/envoy/index.js';

const body = (name: string) => Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name } }));

describe('ext_proc Process', () => {
  let gw: RunningGateway;
  before(async () => (gw = await startGateway()));
  after(() => gw.close());

  it('headers, BUFFERED body, response headers: the body reply sets owned headers in raw_value', async () => {
    const s = gw.openStream();
    const h = await s.send({ request_headers: { headers: headerMap(postHeaders({ 'x-mcp-method': 'spoofed' })), end_of_stream: false } });
    assert.equal(h.response, 'request_headers');
    const removed = h.request_headers?.response?.header_mutation?.remove_headers ?? [];
    for (const name of ['x-mcp-affinity', 'x-mcp-method', 'x-mcp-name', 'x-mcp-principal', 'authorization']) assert.ok(removed.includes(name), name);
    const b = await s.send({ request_body: { body: body('echo'), end_of_stream: true } });
    assert.equal(b.response, 'request_body');
    const set = b.request_body?.response?.header_mutation?.set_headers;
    assert.equal(rawHeader(set, 'x-mcp-method'), 'tools/call');
    assert.equal(rawHeader(set, 'x-mcp-name'), 'echo');
    assert.ok(set?.every((o) => !o.header.value && o.append === undefined), 'raw_value only, append unset');
    const md = b.dynamic_metadata?.fields?.mcpgw?.structValue?.fields;
    assert.equal(md?.name?.stringValue, 'echo');
    const r = await s.send({ response_headers: { headers: headerMap({ ':status': '200' }) } });
    assert.equal(r.response, 'response_headers');
    assert.equal((await s.end()).code, 0);
  });

  it('a denied tool gets an immediate_response 403 with a JSON content type', async () => {
    const s = gw.openStream();
    await s.send({ request_headers: { headers: headerMap(postHeaders()), end_of_stream: false } });
    const r = await s.send({ request_body: { body: body('delete_it'), end_of_stream: true } });
    assert.equal(r.response, 'immediate_response');
    assert.equal(httpStatusNumber(r.immediate_response?.status.code), 403);
    assert.equal(rawHeader(r.immediate_response?.headers?.set_headers, 'content-type'), 'application/json');
    assert.equal(JSON.parse(Buffer.from(r.immediate_response?.body ?? []).toString()).id, 4);
    await s.end();
  });

  it('GET with end_of_stream decides on the headers reply alone', async () => {
    const s = gw.openStream();
    const h = await s.send({ request_headers: { headers: headerMap({ ...postHeaders(), ':method': 'GET' }), end_of_stream: true } });
    assert.equal(h.response, 'request_headers');
    const r = await s.send({ response_headers: { headers: headerMap({ ':status': '405' }) } });
    assert.equal(r.response, 'response_headers');
    await s.end();
  });

  it('a stream that begins with response_headers (a local reply) is answered', async () => {
    const s = gw.openStream();
    const r = await s.send({ response_headers: { headers: headerMap({ ':status': '403' }) } });
    assert.equal(r.response, 'response_headers');
    assert.equal((await s.end()).code, 0);
  });

  it('a body without end_of_stream (partial) is refused with 413, never passed unread', async () => {
    const s = gw.openStream();
    await s.send({ request_headers: { headers: headerMap(postHeaders()), end_of_stream: false } });
    const r = await s.send({ request_body: { body: body('echo').subarray(0, 10), end_of_stream: false } });
    assert.equal(httpStatusNumber(r.immediate_response?.status.code), 413);
    await s.end();
  });

  it('a spurious message ends the stream with a non-OK status so Envoy fails closed', async () => {
    const s = gw.openStream();
    await assert.rejects(s.send({ request_body: { body: body('echo'), end_of_stream: true } }));
    const status = await s.end();
    assert.notEqual(status.code, 0);
  });

  it('metrics count decisions per hook', async () => {
    const text = await (await fetch(`${gw.httpBase}/metrics`)).text();
    assert.match(text, /mcpgw_requests_total\{hook="ext_proc_request",server="files",method="tools\/call",decision="deny",reason="tool_denied"\} [1-9]/);
    assert.match(text, /mcpgw_decision_duration_seconds_count\{hook="ext_proc_request"\} [1-9]/);
  });
});

describe('ext_proc local replies mid-request', () => {
  let gw: RunningGateway;
  before(async () => (gw = await startGateway()));
  after(() => gw.close());

  it("response_headers while the body is awaited (Envoy's own 413) is answered", async () => {
    const s = gw.openStream();
    await s.send({ request_headers: { headers: headerMap(postHeaders()), end_of_stream: false } });
    const r = await s.send({ response_headers: { headers: headerMap({ ':status': '413' }) } });
    assert.equal(r.response, 'response_headers');
    assert.equal((await s.end()).code, 0);
  });
});
