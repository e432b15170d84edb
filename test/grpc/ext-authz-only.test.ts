// An ext_authz-only mesh (extProc: false) fails closed: a POST is decided from its body or refused,
// never from the client's own Mcp-Method header; limits that need the response end are refused at load.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseConfig } from '../../src/config/index.js';
import { httpStatusNumber, type CheckRequest } from '../../src/envoy/index.js';
import { startGateway, testConfig, type RunningGateway } from './harness.js';

const toolCall = (name: string) => JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name } });

function check(headers: Record<string, string>, body?: string): CheckRequest {
  const h = { ':method': 'POST', ':path': '/mcp', ':authority': 'mcp.test', 'content-type': 'application/json', ...headers };
  return { attributes: { request: { http: { method: h[':method'], path: '/mcp', host: 'mcp.test', headers: h, ...(body !== undefined ? { raw_body: Buffer.from(body) } : {}) } } } };
}

describe('ext_authz-only mesh: requests', () => {
  let gw: RunningGateway;
  before(async () => (gw = await startGateway(testConfig({ extProc: false }))));
  after(() => gw.close());

  const answer = async (req: CheckRequest) => {
    const r = await gw.check(req);
    if (r.status.code === 0) return { status: 200, error: undefined };
    const body = JSON.parse(r.denied_response?.body ?? '{}') as { error: { code: number; message: string }; id: unknown };
    return { status: httpStatusNumber(r.denied_response?.status?.code), error: body.error, id: body.id };
  };

  it('a POST whose body Envoy did not send is refused, naming with_request_body, whatever Mcp-Method claims', async () => {
    const cases: Array<Record<string, string>> = [{ 'content-length': '60' }, { 'content-length': '60', 'mcp-method': 'tools/call', 'mcp-name': 'echo' }, { 'mcp-method': 'ping' }];
    for (const headers of cases) {
      const a = await answer(check(headers));
      assert.equal(a.status, 500, JSON.stringify(headers));
      assert.equal(a.error?.code, -31500);
      assert.match(a.error?.message ?? '', /with_request_body/);
    }
  });

  it('a body Envoy cut short (allow_partial_message) is 413', async () => {
    const a = await answer(check({ 'x-envoy-auth-partial-body': 'true', 'content-length': '5000000' }, toolCall('echo').slice(0, 10)));
    assert.equal(a.status, 413);
    assert.equal(a.error?.code, -31413);
  });

  it('an empty POST is a parse error', async () => {
    const a = await answer(check({ 'content-length': '0' }));
    assert.deepEqual([a.status, a.error?.code], [400, -32700]);
  });

  it('with the body, the body decides', async () => {
    assert.equal((await answer(check({ 'x-envoy-auth-partial-body': 'false' }, toolCall('echo')))).status, 200);
    const denied = await answer(check({ 'x-envoy-auth-partial-body': 'false', 'mcp-method': 'tools/call', 'mcp-name': 'delete_x' }, toolCall('delete_x')));
    assert.deepEqual([denied.status, denied.error?.code, denied.id], [403, -31403, 5]);
  });

  it('GET and DELETE without a body pass; with one they are refused', async () => {
    assert.equal((await answer(check({ ':method': 'GET' }))).status, 200);
    assert.equal((await answer(check({ ':method': 'DELETE' }))).status, 200);
    assert.equal((await answer(check({ ':method': 'GET', 'content-length': '20' }))).status, 400);
    assert.equal((await answer(check({ ':method': 'DELETE', 'x-envoy-auth-partial-body': 'false' }, toolCall('delete_x')))).status, 400);
  });
});

describe('ext_authz-only mesh: config', () => {
  const load = (limits: unknown[]) =>
    parseConfig(JSON.stringify({ extProc: false, limits, servers: [{ name: 'files', match: { hosts: ['mcp.test'] } }] }));

  it('concurrency and session limits are refused with a path: message line', () => {
    const r = load([
      { name: 'q', per: [], quota: { requests: 5, window: 'day' } },
      { name: 'c', per: ['principal'], concurrency: { max: 2 } },
      { name: 's', per: ['principal'], sessions: { max: 3 } },
    ]);
    assert.equal(r.ok, false);
    assert.deepEqual(!r.ok && r.problems, [
      'limits.1.concurrency: concurrency limits need extProc: true (only ext_proc sees the response end that releases them)',
      'limits.2.sessions: sessions limits need extProc: true (only ext_proc sees the response end that releases them)',
    ]);
  });

  it('rates, quotas and budgets are fine without ext_proc', () => {
    assert.equal(load([{ name: 'r', per: [], rate: { requests: 5, perSeconds: 1 } }]).ok, true);
  });
});
