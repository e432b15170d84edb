// ext_authz verifies once; ext_proc trusts what Envoy forwards as dynamic metadata, never client headers.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { httpStatusNumber } from '../../src/envoy/index.js';
import { headerMap, postHeaders, rawHeader, startGateway, testConfig, type RunningGateway } from './harness.js';

const KEY = 'handoff-test-key';
const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo' } }));

describe('ext_authz → ext_proc identity handoff', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startGateway(
      testConfig({
        identity: { apiKeys: [{ name: 'bot', sha256: createHash('sha256').update(KEY).digest('hex'), tenant: 't1' }] },
        servers: [{ name: 'files', match: { hosts: ['mcp.test'], pathPrefix: '/mcp' }, auth: { resource: 'https://mcp.test/mcp' } }],
      }),
    );
  });
  after(() => gw.close());

  it('ext_authz puts the verified principal in its dynamic metadata', async () => {
    const h = { ...postHeaders(), 'x-api-key': KEY, 'x-envoy-auth-partial-body': 'false' };
    const r = await gw.check({ attributes: { request: { http: { method: 'POST', path: '/mcp', host: 'mcp.test', headers: h, body: body.toString() } } } });
    assert.equal(r.status.code, 0);
    const principal = JSON.parse(r.dynamic_metadata?.fields?.mcpgw_principal?.stringValue ?? '{}');
    assert.equal(principal.id, 'apikey:bot');
    assert.equal(r.ok_response?.headers?.find((o) => o.header.key === 'x-mcp-principal')?.header.value, 'apikey:bot');
  });

  it('ext_proc trusts the principal Envoy forwards from ext_authz, without credentials of its own', async () => {
    const verified = JSON.stringify({ id: 'apikey:bot', kind: 'apikey', subject: 'bot', scopes: [], roles: [], groups: [], tenant: 't1' });
    const s = gw.openStream();
    await s.send({
      request_headers: { headers: headerMap(postHeaders()), end_of_stream: false },
      metadata_context: { filter_metadata: { 'envoy.filters.http.ext_authz': { fields: { mcpgw_principal: { stringValue: verified } } } } },
    });
    const b = await s.send({ request_body: { body, end_of_stream: true } });
    assert.equal(b.response, 'request_body');
    assert.equal(rawHeader(b.request_body?.response?.header_mutation?.set_headers, 'x-mcp-principal'), 'apikey:bot');
    assert.equal(rawHeader(b.request_body?.response?.header_mutation?.set_headers, 'x-mcp-tenant'), 't1');
    await s.end();
  });

  it('a client header claiming an identity is not trusted: 401', async () => {
    const s = gw.openStream();
    const r = await s.send({ request_headers: { headers: headerMap(postHeaders({ 'x-mcp-principal': 'apikey:bot', mcpgw_principal: '{"id":"apikey:bot"}' })), end_of_stream: false } });
    assert.equal(r.response, 'immediate_response');
    assert.equal(httpStatusNumber(r.immediate_response?.status.code), 401);
    assert.match(rawHeader(r.immediate_response?.headers?.set_headers, 'www-authenticate') ?? '', /^Bearer resource_metadata="https:\/\/mcp\.test\/\.well-known\/oauth-protected-resource\/mcp"/);
    await s.end();
  });
});
