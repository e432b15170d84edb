// ext_authz behaviour of the sim, driven by a tiny Authorization server on the real protos.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { CheckRequest, CheckResponse } from '../../src/envoy/messages.js';
import { answer, startExtAuthz, startExtProc, startUpstreams, type GrpcPeer, type ProcStreamRecord, type Upstreams } from './harness.js';
import { EnvoySim, type ExtAuthzOptions } from './index.js';

let ups: Upstreams;
let authz: GrpcPeer<CheckRequest>;
let proc: GrpcPeer<ProcStreamRecord>;
let decide: (r: CheckRequest) => CheckResponse | Promise<CheckResponse> = () => ({ status: { code: 0 } });
const sims: EnvoySim[] = [];

async function simWith(extAuthz: Partial<ExtAuthzOptions> = {}, withProc = false): Promise<EnvoySim> {
  const sim = new EnvoySim({
    routes: [{ authority: '*', cluster: 'mcp' }],
    clusters: [{ name: 'mcp', lb: 'round_robin', endpoints: ups.keys }],
    // Envoy's 200 ms defaults would fail a loaded test machine; the timeout tests set their own.
    extAuthz: { target: authz.target, timeoutMs: 10_000, ...extAuthz },
    ...(withProc ? { extProc: { target: proc.target, messageTimeoutMs: 10_000, forwardingNamespaces: ['envoy.filters.http.ext_authz'] } } : {}),
  });
  await sim.start();
  sims.push(sim);
  return sim;
}

before(async () => {
  ups = await startUpstreams(1);
  authz = await startExtAuthz((r) => decide(r));
  proc = await startExtProc((m) => answer(m));
});
afterEach(async () => {
  decide = () => ({ status: { code: 0 } });
  for (const s of sims.splice(0)) await s.close();
});
after(async () => {
  await authz.close();
  await proc.close();
  await ups.close();
});

describe('envoy-sim ext_authz', () => {
  it('sends the HTTP attributes Envoy sends, principal from the sim header, body with the partial flag', async () => {
    const sim = await simWith({ withRequestBody: { maxRequestBytes: 4, allowPartialMessage: true } });
    const res = await fetch(`${sim.url}/mcp?q=1`, {
      method: 'POST',
      headers: { 'x-sim-peer-principal': 'spiffe://cluster.local/ns/a/sa/b', 'x-envoy-auth-partial-body': 'spoof', 'x-dup': 'a' },
      body: 'hello world',
    });
    assert.equal(res.status, 200);
    const http = authz.records.at(-1)!.attributes!.request!.http!;
    assert.equal(http.method, 'POST');
    assert.equal(http.path, '/mcp?q=1');
    assert.equal(http.protocol, 'HTTP/1.1');
    assert.equal(http.headers![':method'], 'POST');
    assert.equal(http.headers![':path'], '/mcp?q=1');
    assert.match(http.headers![':authority']!, /^127\.0\.0\.1:\d+$/);
    assert.equal(http.headers!['x-envoy-auth-partial-body'], 'true');
    assert.equal(http.headers!['x-sim-peer-principal'], undefined);
    assert.equal(http.body, 'hell');
    assert.match(http.id!, /^\d+$/);
    assert.equal(http.id, sim.log.at(-1)!.id);
    assert.equal(authz.records.at(-1)!.attributes!.source!.principal, 'spiffe://cluster.local/ns/a/sa/b');
    // the whole body still reaches the upstream
    assert.equal(ups.seen.at(-1)!.body, 'hello world');
    assert.equal(ups.seen.at(-1)!.headers['x-envoy-auth-partial-body'], undefined);
  });

  it('body over maxRequestBytes without partial messages → 413 and no Check', async () => {
    const sim = await simWith({ withRequestBody: { maxRequestBytes: 4 } });
    const before = authz.records.length;
    const res = await fetch(`${sim.url}/mcp`, { method: 'POST', body: 'hello' });
    assert.equal(res.status, 413);
    assert.equal(authz.records.length, before);
  });

  it('packAsBytes sends raw_body', async () => {
    const sim = await simWith({ withRequestBody: { maxRequestBytes: 100, packAsBytes: true } });
    await (await fetch(`${sim.url}/mcp`, { method: 'POST', body: 'abc' })).text();
    const http = authz.records.at(-1)!.attributes!.request!.http!;
    assert.equal(Buffer.from(http.raw_body!).toString(), 'abc');
    assert.equal(http.headers!['x-envoy-auth-partial-body'], 'false');
  });

  it('ok_response headers read `value`; append false overwrites, absent append keeps the client copy', async () => {
    decide = () => ({
      status: { code: 0 },
      ok_response: {
        headers: [
          { header: { key: 'x-over', value: 'gw' }, append: { value: false } },
          { header: { key: 'x-absent', value: 'gw' } },
          { header: { key: 'x-raw', raw_value: Buffer.from('raw') }, append: { value: false } },
        ],
        headers_to_remove: ['x-drop', 'host', ':path'],
        response_headers_to_add: [{ header: { key: 'x-resp', value: '1' }, append: { value: false } }],
      },
      dynamic_metadata: { fields: { principal: { stringValue: 'alice' } } },
    });
    const sim = await simWith({}, true);
    const res = await fetch(`${sim.url}/mcp`, { headers: { 'x-over': 'client', 'x-absent': 'client', 'x-drop': '1' } });
    assert.equal(res.headers.get('x-resp'), '1');
    const up = sim.log.at(-1)!.upstreamHeaders!;
    assert.equal(up['x-over'], 'gw');
    assert.deepEqual(up['x-absent'], ['client', 'gw']);
    assert.equal(up['x-raw'], '');
    assert.equal(up['x-drop'], undefined);
    assert.equal(ups.seen.at(-1)!.url, '/mcp');
    // CheckResponse.dynamic_metadata reaches ext_proc through forwarding_namespaces
    await sim.log.at(-1)!.done;
    const fm = proc.records.at(-1)!.messages[0]!.metadata_context!.filter_metadata!['envoy.filters.http.ext_authz']!;
    assert.equal(fm.fields!.principal!.stringValue, 'alice');
  });

  it('denial: denied_response status, headers and body; the ext_proc stream begins with response_headers', async () => {
    decide = () => ({
      status: { code: 7 },
      denied_response: { status: { code: 401 }, headers: [{ header: { key: 'www-authenticate', value: 'Bearer' } }], body: '{"error":"x"}' },
    });
    const sim = await simWith({}, true);
    const res = await fetch(`${sim.url}/mcp`);
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer');
    assert.equal(await res.text(), '{"error":"x"}');
    await sim.log.at(-1)!.done;
    assert.deepEqual(proc.records.at(-1)!.messages.map((m) => m.request), ['response_headers']);
    decide = () => ({ status: { code: 7 } });
    assert.equal((await fetch(`${sim.url}/mcp`)).status, 403);
  });

  it('gRPC error or timeout → statusOnError (403) unless failureModeAllow', async () => {
    decide = () => new Promise((r) => setTimeout(() => r({ status: { code: 0 } }), 200));
    let sim = await simWith({ timeoutMs: 20 });
    assert.equal((await fetch(`${sim.url}/mcp`)).status, 403);
    sim = await simWith({ timeoutMs: 20, statusOnError: 503 });
    assert.equal((await fetch(`${sim.url}/mcp`)).status, 503);
    sim = await simWith({ timeoutMs: 20, failureModeAllow: true });
    assert.equal((await fetch(`${sim.url}/mcp`)).status, 200);
  });
});
