// Every row of the hostile input table through ext_authz (Check, with the body as `with_request_body`
// sends it) and through ext_proc (headers, BUFFERED body, response headers), over real gRPC to a real
// mcpgw: each gets its expected HTTP status, JSON-RPC code and id, and mcpgw still serves afterwards.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { httpStatusNumber, type CheckResponse, type ProcessingResponse } from '../../src/envoy/index.js';
import { headerMap, startGateway, testConfig, type RunningGateway } from './harness.js';
import { API_KEY, MAX_BATCH, MAX_BODY, MAX_DEPTH, MAX_STRING, ROWS, STREAM_ROWS, apiKeySha, type Expect, type Row } from './hostileTable.js';

interface Seen {
  status: number;
  /** Headers mcpgw set on the upstream request (allowed) or on its own answer (denied). */
  headers: Record<string, string>;
  body?: string;
}

function requestHeaders(row: Row): Record<string, string> {
  const h: Record<string, string> = {
    ':method': row.method ?? 'POST',
    ':path': row.path ?? '/mcp',
    ':authority': row.authority ?? 'open.test',
    ':scheme': 'http',
    'content-type': 'application/json',
  };
  const body = row.body ?? null;
  if (body !== null && !row.noContentLength) h['content-length'] = String(Buffer.byteLength(body));
  return { ...h, ...row.headers };
}

const bodyBytes = (row: Row): Buffer | null => (row.body === undefined || row.body === null ? null : Buffer.from(row.body));

async function viaExtAuthz(gw: RunningGateway, row: Row): Promise<Seen> {
  const headers = requestHeaders(row);
  const body = bodyBytes(row);
  // with_request_body + pack_as_bytes: Envoy marks a buffered body whole with x-envoy-auth-partial-body.
  if (body !== null) headers['x-envoy-auth-partial-body'] = 'false';
  const http = { method: headers[':method'], path: headers[':path'], host: headers[':authority'], scheme: 'http', headers, ...(body !== null ? { raw_body: body } : {}) };
  const r: CheckResponse = await gw.check({ attributes: { request: { http } } });
  if (r.status.code === 0) return { status: 200, headers: Object.fromEntries((r.ok_response?.headers ?? []).map((o) => [o.header.key, o.header.value ?? ''])) };
  const d = r.denied_response;
  return { status: httpStatusNumber(d?.status?.code) ?? 403, headers: Object.fromEntries((d?.headers ?? []).map((o) => [o.header.key, o.header.value ?? ''])), body: d?.body ?? '' };
}

function setHeaders(list: Array<{ header: { key: string; raw_value?: Uint8Array } }> | undefined): Record<string, string> {
  return Object.fromEntries((list ?? []).map((o) => [o.header.key, Buffer.from(o.header.raw_value ?? []).toString('latin1')]));
}

async function viaExtProc(gw: RunningGateway, row: Row): Promise<Seen> {
  const s = gw.openStream();
  const body = bodyBytes(row);
  try {
    let reply: ProcessingResponse = await s.send({
      request_headers: { headers: headerMap(requestHeaders(row)), end_of_stream: body === null },
      ...(row.metadata ? { metadata_context: row.metadata } : {}),
    });
    if (reply.response !== 'immediate_response' && body !== null) reply = await s.send({ request_body: { body, end_of_stream: true } });
    const im = reply.immediate_response;
    if (im) return { status: httpStatusNumber(im.status.code) ?? 0, headers: setHeaders(im.headers?.set_headers), body: Buffer.from(im.body ?? []).toString() };
    const allowed = setHeaders((reply.request_body ?? reply.request_headers)?.response?.header_mutation?.set_headers);
    const r = await s.send({ response_headers: { headers: headerMap({ ':status': '200' }), end_of_stream: true } });
    assert.equal(r.response, 'response_headers');
    return { status: 200, headers: allowed };
  } finally {
    await s.end();
  }
}

function assertAnswer(seen: Seen, want: Expect, hook: string): void {
  assert.equal(seen.status, want.status, `${hook}: status (${seen.body ?? 'allowed'})`);
  if (want.status === 200) {
    // Whatever the client put in names and methods, the headers mcpgw sets stay single header lines.
    for (const [k, v] of Object.entries(seen.headers)) assert.doesNotMatch(v, /[\r\n\0]/, `${hook}: header ${k} is header-safe`);
    return;
  }
  assert.equal(seen.headers['content-type'], 'application/json', `${hook}: JSON answer`);
  const answer = JSON.parse(seen.body ?? '') as { jsonrpc: string; error: { code: number; message: string }; id: unknown };
  assert.equal(answer.jsonrpc, '2.0');
  assert.equal(answer.error.code, want.code, `${hook}: JSON-RPC code (${answer.error.message})`);
  assert.equal(answer.id, want.id ?? null, `${hook}: JSON-RPC id`);
  assert.ok(answer.error.message.length > 0 && answer.error.message.length < 1000, `${hook}: a short, clear message`);
  if (want.status === 405) assert.equal(seen.headers['allow'], 'GET, POST, DELETE', `${hook}: Allow`);
}

describe('hostile input table', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startGateway(
      testConfig({
        log: { level: 'warn' },
        requests: { maxBodyBytes: MAX_BODY, maxStringBytes: MAX_STRING, maxJsonDepth: MAX_DEPTH, maxBatchSize: MAX_BATCH },
        identity: { apiKeys: [{ name: 'bot', sha256: apiKeySha }] },
        servers: [
          { name: 'open', match: { hosts: ['open.test'], pathPrefix: '/mcp' }, tools: { deny: ['delete_*'] } },
          { name: 'locked', match: { hosts: ['locked.test'], pathPrefix: '/mcp' }, auth: { resource: 'https://locked.test/mcp' } },
        ],
      }),
    );
  });
  after(() => gw.close());

  it(`has at least 100 rows, each named once`, () => {
    assert.ok(ROWS.length + STREAM_ROWS.length >= 100, `${ROWS.length + STREAM_ROWS.length} rows`);
    assert.equal(new Set(ROWS.map((r) => r.name)).size, ROWS.length);
  });

  for (const row of ROWS) {
    it(row.name, async () => {
      assertAnswer(await viaExtAuthz(gw, row), row.extAuthz ?? row.expect, 'ext_authz');
      assertAnswer(await viaExtProc(gw, row), row.extProc ?? row.expect, 'ext_proc');
    });
  }

  for (const row of STREAM_ROWS) {
    it(`ext_proc out of order: ${row.name} fails the stream closed`, async () => {
      const s = gw.openStream();
      const replies = row.messages.slice(0, -1);
      for (const m of replies) assert.notEqual((await s.send(m)).response, 'immediate_response');
      const last = row.messages.at(-1);
      if (last) await assert.rejects(s.send(last), /stream ended: [1-9]/);
      assert.notEqual((await s.end()).code, 0, 'a non-OK status: Envoy answers status_on_error, never passes the request');
    });
  }

  it('is still serving afterwards: health, and one good request through each hook', async () => {
    assert.equal((await fetch(`${gw.httpBase}/readyz`)).status, 200);
    const good: Row = { name: 'good', authority: 'locked.test', headers: { 'x-api-key': API_KEY }, body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'echo' } }), expect: { status: 200 } };
    const a = await viaExtAuthz(gw, good);
    assert.equal(a.status, 200);
    assert.equal(a.headers['x-mcp-principal'], 'apikey:bot');
    const p = await viaExtProc(gw, good);
    assert.equal(p.status, 200);
    assert.equal(p.headers['x-mcp-name'], 'echo');
  });
});
