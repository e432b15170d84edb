// requests.maxNameBytes end to end: a name over its cap is refused with 400 and a JSON-RPC error
// echoing the request id, before any glob is matched, through ext_authz and ext_proc alike.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CheckRequest } from '../../src/envoy/index.js';
import { httpStatusNumber } from '../../src/envoy/index.js';
import { headerMap, postHeaders, rawHeader, startGateway, testConfig, type RunningGateway } from './harness.js';

const NAME_CAP = 1024;
const URI_CAP = 16_384;

function checkRequest(headers: Record<string, string>, body?: string): CheckRequest {
  const h = { ...headers };
  if (body !== undefined) h['x-envoy-auth-partial-body'] = 'false';
  return { attributes: { request: { http: { method: h[':method'], path: h[':path'], host: h[':authority'], headers: h, ...(body !== undefined ? { body } : {}) } } } };
}

const call = (name: string, id: number | string) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {} } });
const read = (uri: string, id: number | string) => JSON.stringify({ jsonrpc: '2.0', id, method: 'resources/read', params: { uri } });
const modern = (name: string) => postHeaders({ 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': name });

interface Answer {
  status: number;
  body?: { id: unknown; error?: { code: number; message: string } };
}

// Pathological globs on every path a name takes: tool lists, policy rules and limit matches.
const config = testConfig({
  servers: [
    {
      name: 'files',
      match: { hosts: ['mcp.test'], pathPrefix: '/mcp' },
      tools: { deny: ['*a*a*a*a*a*b'] },
      policy: { defaultEffect: 'allow', rules: [{ effect: 'deny', resources: ['file:///data/*/public/*.txt'] }] },
    },
  ],
  limits: [{ name: 'per-tool', per: ['tool'], match: { tools: ['*a*a*a*a*b'] }, rate: { requests: 1000, perSeconds: 1 } }],
});

describe('requests.maxNameBytes through ext_authz and ext_proc', () => {
  let gw: RunningGateway;
  before(async () => (gw = await startGateway(config)));
  after(() => gw.close());

  async function viaAuthz(headers: Record<string, string>, body?: string): Promise<Answer> {
    const r = await gw.check(checkRequest(headers, body));
    if (r.status.code === 0) return { status: 200 };
    return { status: httpStatusNumber(r.denied_response?.status?.code) ?? 0, body: JSON.parse(r.denied_response?.body ?? 'null') };
  }

  async function viaProc(headers: Record<string, string>, body?: string): Promise<Answer> {
    const s = gw.openStream();
    try {
      // Headers first, as Envoy sends them; a body-less case ends before the body is sent.
      let r = await s.send({ request_headers: { headers: headerMap(headers), end_of_stream: false } });
      if (r.response !== 'immediate_response' && body !== undefined) r = await s.send({ request_body: { body: Buffer.from(body), end_of_stream: true } });
      if (r.response !== 'immediate_response') return { status: 200 };
      assert.equal(rawHeader(r.immediate_response?.headers?.set_headers, 'content-type'), 'application/json');
      return { status: httpStatusNumber(r.immediate_response?.status.code) ?? 0, body: JSON.parse(Buffer.from(r.immediate_response?.body ?? []).toString()) };
    } finally {
      await s.end();
    }
  }

  const hooks = { ext_authz: viaAuthz, ext_proc: viaProc };
  const long = 'a'.repeat(NAME_CAP + 1);
  const cases: Array<{ what: string; headers: Record<string, string>; body?: string; status: number; code?: number; id?: unknown; idAtHeaders?: unknown }> = [
    { what: 'a tool name one byte over the cap', headers: postHeaders(), body: call(long, 'req-1'), status: 400, code: -32602, id: 'req-1' },
    { what: 'a tool name at the cap', headers: postHeaders(), body: call('a'.repeat(NAME_CAP), 2), status: 200 },
    { what: 'a multi-byte tool name over the cap in bytes only', headers: postHeaders(), body: call('é'.repeat(NAME_CAP / 2 + 1), 3), status: 400, code: -32602, id: 3 },
    { what: 'a resource URI over its cap', headers: postHeaders(), body: read(`file:///data/${'x/public/'.repeat(URI_CAP / 9)}`, 4), status: 400, code: -32602, id: 4 },
    { what: 'a resource URI under its cap, longer than the name cap', headers: postHeaders(), body: read(`file:///data/${'x'.repeat(4000)}/private/a.txt`, 5), status: 200 },
    { what: 'a long Mcp-Name with no body', headers: modern(long), status: 400, code: -32602, id: null },
    // ext_proc refuses at the headers phase, before the body (and its id) is read.
    { what: 'a long Mcp-Name with a matching body', headers: modern(long), body: call(long, 6), status: 400, code: -32602, id: 6, idAtHeaders: null },
    { what: 'a method over the name cap', headers: postHeaders(), body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: `x/${long}` }), status: 400, code: -32600, id: 7 },
  ];

  for (const [hook, send] of Object.entries(hooks)) {
    for (const c of cases) {
      it(`${hook}: ${c.what} → ${c.status}${c.code ? ` ${c.code}` : ''}`, async () => {
        const a = await send(c.headers, c.body);
        assert.equal(a.status, c.status, JSON.stringify(a.body));
        if (c.code === undefined) return;
        assert.equal(a.body?.error?.code, c.code);
        assert.equal(a.body?.id, hook === 'ext_proc' && 'idAtHeaders' in c ? c.idAtHeaders : c.id);
        assert.match(a.body?.error?.message ?? '', /longer than \d+ bytes/);
      });
    }
  }

  it('still serves afterwards', async () => {
    assert.equal((await viaAuthz(postHeaders(), call('echo', 9))).status, 200);
    assert.equal((await viaProc(postHeaders(), call('echo', 9))).status, 200);
  });
});
