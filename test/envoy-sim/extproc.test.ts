// ext_proc behaviour of the sim, driven by a tiny ext_proc server on the real protos.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { ProcessingRequest, ProcessingResponse } from '../../src/envoy/messages.js';
import { buildRing, loadXxh64 } from '../../src/routing/index.js';
import { answer, procHeaders, rawHeader, startExtProc, startUpstreams, type GrpcPeer, type ProcHandler, type ProcStreamRecord, type Upstreams } from './harness.js';
import { EnvoySim, type ExtProcOptions } from './index.js';

let ups: Upstreams;
let sseRelease: () => void = () => {};
let handler: ProcHandler = (m) => answer(m);
let proc: GrpcPeer<ProcStreamRecord>;
const sims: EnvoySim[] = [];

async function simWith(extProc: Partial<ExtProcOptions> = {}, bufferLimitBytes?: number): Promise<EnvoySim> {
  const sim = new EnvoySim({
    routes: [{ authority: '*', cluster: 'mcp' }],
    clusters: [{ name: 'mcp', lb: 'ring_hash', hashHeader: 'x-mcp-affinity', endpoints: ups.keys }],
    // Envoy's 200 ms default would fail a loaded test machine; the timeout tests set their own.
    extProc: { target: proc.target, messageTimeoutMs: 10_000, ...extProc },
    bufferLimitBytes,
  });
  await sim.start();
  sims.push(sim);
  return sim;
}

const kinds = (r: ProcStreamRecord) => r.messages.map((m) => m.request);

before(async () => {
  ups = await startUpstreams(3, (req, res, body, key) => {
    if (req.url === '/sse') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: message\ndata: one\n\n');
      sseRelease = () => res.end('event: message\ndata: two\n\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'x-up': 'yes' });
    res.end(JSON.stringify({ served: key, headers: req.headers, body }));
  });
  proc = await startExtProc((m, s) => handler(m, s));
});
afterEach(async () => {
  handler = (m) => answer(m);
  for (const s of sims.splice(0)) await s.close();
});
after(async () => {
  await proc.close();
  await ups.close();
});

describe('envoy-sim ext_proc', () => {
  it('sends request_headers (end_of_stream for a GET) and response_headers with :status, then half-closes and cancels', async () => {
    const sim = await simWith({ requestAttributes: ['source.address', 'request.path', 'connection.uri_san_peer_certificate'], responseAttributes: ['upstream.address'] });
    const res = await fetch(`${sim.url}/mcp?x=1`, { headers: { 'x-sim-peer-principal': 'spiffe://cluster.local/ns/a/sa/b' } });
    assert.equal(res.status, 200);
    await sim.log.at(-1)!.done;
    const rec = proc.records.at(-1)!;
    assert.deepEqual(kinds(rec), ['request_headers', 'response_headers']);
    assert.equal(rec.messages[0]!.request_headers!.end_of_stream, true);
    const h = procHeaders(rec.messages[0]!);
    assert.equal(h[':path'], '/mcp?x=1');
    assert.equal(h[':method'], 'GET');
    assert.equal(h['x-sim-peer-principal'], undefined);
    const attrs = rec.messages[0]!.attributes!['envoy.filters.http.ext_proc']!.fields!;
    assert.equal(attrs['request.path']!.stringValue, '/mcp?x=1');
    assert.equal(attrs['connection.uri_san_peer_certificate']!.stringValue, 'spiffe://cluster.local/ns/a/sa/b');
    assert.match(attrs['source.address']!.stringValue!, /^127\.0\.0\.1:\d+$/);
    assert.equal(procHeaders(rec.messages[1]!)[':status'], '200');
    assert.equal(rec.messages[1]!.attributes!['envoy.filters.http.ext_proc']!.fields!['upstream.address']!.stringValue, sim.log.at(-1)!.upstream);
    await waitFor(() => rec.halfClosed && rec.cancelled);
  });

  it('reads raw_value only: a value-only header arrives empty', async () => {
    handler = (m) =>
      m.request === 'request_headers'
        ? answer(m, { header_mutation: { set_headers: [rawHeader('x-raw', 'r'), { header: { key: 'x-value-only', value: 'v' } }] } })
        : answer(m);
    const sim = await simWith();
    await (await fetch(`${sim.url}/mcp`)).text();
    const up = sim.log.at(-1)!.upstreamHeaders!;
    assert.equal(up['x-raw'], 'r');
    assert.equal(up['x-value-only'], '');
  });

  it('value and raw_value both set is an invalid mutation → 500', async () => {
    handler = (m) => answer(m, { header_mutation: { set_headers: [{ header: { key: 'x-both', value: 'a', raw_value: Buffer.from('b') } }] } });
    const sim = await simWith();
    const res = await fetch(`${sim.url}/mcp`);
    assert.equal(res.status, 500);
    assert.equal(sim.log.at(-1)!.upstream, undefined);
  });

  it('append true adds another entry; unset append overwrites the client copy', async () => {
    handler = (m) =>
      m.request === 'request_headers'
        ? answer(m, { header_mutation: { set_headers: [rawHeader('x-add', 'gw', true), rawHeader('x-mcp-affinity', 'gw')] } })
        : answer(m);
    const sim = await simWith();
    await (await fetch(`${sim.url}/mcp`, { headers: { 'x-add': 'client', 'x-mcp-affinity': 'client' } })).text();
    const up = sim.log.at(-1)!.upstreamHeaders!;
    assert.deepEqual(up['x-add'], ['client', 'gw']);
    assert.equal(up['x-mcp-affinity'], 'gw');
  });

  it('drops x-envoy-* and :authority changes silently by default; disallowIsError makes them 500', async () => {
    handler = (m) =>
      m.request === 'request_headers'
        ? answer(m, { header_mutation: { set_headers: [rawHeader('x-envoy-upstream-alt', '1'), rawHeader(':authority', 'evil'), rawHeader('x-ok', '1')], remove_headers: ['host'] } })
        : answer(m);
    let sim = await simWith();
    const res = await fetch(`${sim.url}/mcp`);
    assert.equal(res.status, 200);
    const e = sim.log.at(-1)!;
    assert.equal(e.upstreamHeaders!['x-envoy-upstream-alt'], undefined);
    assert.equal(e.upstreamHeaders!['x-ok'], '1');
    assert.notEqual(e.upstreamHeaders!.host, 'evil');
    assert.deepEqual(e.rejectedMutations, ['remove:host', 'set:x-envoy-upstream-alt', 'set::authority']);
    sim = await simWith({ mutationRules: { disallowIsError: true } });
    assert.equal((await fetch(`${sim.url}/mcp`)).status, 500);
  });

  it('immediate_response becomes the reply (status < 200 → 200) and ends ext_proc for the request', async () => {
    handler = (m) => ({
      immediate_response: {
        status: { code: 403 },
        headers: { set_headers: [rawHeader('content-type', 'application/json')] },
        body: Buffer.from('{"jsonrpc":"2.0"}'),
        details: 'mcpgw scope denied',
      },
    });
    let sim = await simWith();
    const res = await fetch(`${sim.url}/mcp`);
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.equal(await res.text(), '{"jsonrpc":"2.0"}');
    assert.equal(sim.log.at(-1)!.localReply!.details, 'mcpgw_scope_denied');
    assert.deepEqual(kinds(proc.records.at(-1)!), ['request_headers']);
    handler = () => ({ immediate_response: { status: { code: 100 } } }) as ProcessingResponse;
    sim = await simWith();
    assert.equal((await fetch(`${sim.url}/mcp`)).status, 200);
  });

  it('ignores mode_override without allowModeOverride, honours it with', async () => {
    const override: ProcessingResponse['mode_override'] = { response_body_mode: 'BUFFERED' };
    handler = (m) => (m.request === 'response_body' ? answer(m, { body_mutation: { body: Buffer.from('replaced') } }) : answer(m, {}, { mode_override: override }));
    let sim = await simWith();
    let res = await fetch(`${sim.url}/mcp`);
    assert.match(await res.text(), /served/);
    assert.deepEqual(kinds(proc.records.at(-1)!), ['request_headers', 'response_headers']);
    sim = await simWith({ allowModeOverride: true });
    res = await fetch(`${sim.url}/mcp`);
    assert.equal(await res.text(), 'replaced');
    assert.deepEqual(kinds(proc.records.at(-1)!), ['request_headers', 'response_headers', 'response_body']);
  });

  it('message_timeout → 504; with failureModeAllow the request continues', async () => {
    handler = () => undefined;
    let sim = await simWith({ messageTimeoutMs: 30 });
    const res = await fetch(`${sim.url}/mcp`);
    assert.equal(res.status, 504);
    assert.equal(sim.log.at(-1)!.localReply!.details, 'ext_proc_error_per-message_timeout_exceeded');
    sim = await simWith({ messageTimeoutMs: 30, failureModeAllow: true });
    assert.equal((await fetch(`${sim.url}/mcp`)).status, 200);
  });

  it('a clean OK close while waiting continues without ext_proc; an error status → 500', async () => {
    handler = () => 'close-ok';
    let sim = await simWith();
    assert.equal((await fetch(`${sim.url}/mcp`)).status, 200);
    handler = () => ({ code: 13, details: 'boom', metadata: undefined as never });
    sim = await simWith();
    const res = await fetch(`${sim.url}/mcp`);
    assert.equal(res.status, 500);
    assert.match(sim.log.at(-1)!.localReply!.details, /^ext_proc_error_gRPC_error_13/);
  });

  it('a spurious reply (wrong oneof) → 500', async () => {
    handler = (m) => (m.request === 'request_headers' ? ({ request_body: { response: {} } } as ProcessingResponse) : answer(m));
    const sim = await simWith();
    assert.equal((await fetch(`${sim.url}/mcp`)).status, 500);
  });

  it('a local reply (404) opens the stream with response_headers', async () => {
    const sim = new EnvoySim({
      routes: [{ authority: 'nomatch.example', cluster: 'mcp' }],
      clusters: [{ name: 'mcp', lb: 'round_robin', endpoints: ups.keys }],
      extProc: { target: proc.target, processingMode: { request_header_mode: 'SKIP' } },
    });
    await sim.start();
    sims.push(sim);
    const res = await fetch(`${sim.url}/mcp`);
    assert.equal(res.status, 404);
    const rec = proc.records.at(-1)!;
    assert.deepEqual(kinds(rec), ['response_headers']);
    assert.equal(procHeaders(rec.messages[0]!)[':status'], '404');
  });

  it('BUFFERED request body: one request_body message with end_of_stream; over the limit → 413', async () => {
    const sim = await simWith({ processingMode: { request_body_mode: 'BUFFERED' } }, 64);
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });
    await (await fetch(`${sim.url}/mcp`, { method: 'POST', body })).text();
    const rec = proc.records.at(-1)!;
    assert.deepEqual(kinds(rec), ['request_headers', 'request_body', 'response_headers']);
    assert.equal(rec.messages[0]!.request_headers!.end_of_stream, false);
    assert.equal(Buffer.from(rec.messages[1]!.request_body!.body!).toString(), body);
    assert.equal(rec.messages[1]!.request_body!.end_of_stream, true);
    const res = await fetch(`${sim.url}/mcp`, { method: 'POST', body: 'x'.repeat(65) });
    assert.equal(res.status, 413);
    assert.deepEqual(kinds(proc.records.at(-1)!), ['request_headers', 'response_headers']);
  });

  it('hashes a header set in the BUFFERED body reply', async () => {
    const xxh = await loadXxh64();
    const ring = buildRing(ups.keys.map((key) => ({ key })), {}, xxh);
    handler = (m: ProcessingRequest) => {
      if (m.request !== 'request_body') return answer(m);
      const key = JSON.parse(Buffer.from(m.request_body!.body!).toString()).params.key as string;
      return answer(m, { header_mutation: { set_headers: [rawHeader('x-mcp-affinity', key)] } });
    };
    const sim = await simWith({ processingMode: { request_body_mode: 'BUFFERED' } });
    for (const key of ['session-1', 'session-2', 'session-3', 'k4', 'k5']) {
      const res = await fetch(`${sim.url}/mcp`, { method: 'POST', headers: { 'x-mcp-affinity': 'client-choice' }, body: JSON.stringify({ params: { key } }) });
      await res.text();
      assert.equal(sim.log.at(-1)!.upstream, ring.pick(xxh.hash(key)), key);
    }
  });

  it('response body NONE: an SSE event reaches the client before the upstream ends', async () => {
    const sim = await simWith();
    const res = await fetch(`${sim.url}/sse`);
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    assert.match(first, /data: one/);
    sseRelease();
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
    assert.match(rest, /data: two/);
  });

  it('response body STREAMED: each chunk is sent as it arrives and may be replaced', async () => {
    handler = (m) => {
      if (m.request !== 'response_body') return answer(m);
      const text = Buffer.from(m.response_body!.body ?? []).toString();
      return answer(m, { body_mutation: { body: Buffer.from(text.toUpperCase()) } });
    };
    const sim = await simWith({ processingMode: { response_body_mode: 'STREAMED' } });
    const res = await fetch(`${sim.url}/sse`);
    const reader = res.body!.getReader();
    assert.match(new TextDecoder().decode((await reader.read()).value), /DATA: ONE/);
    sseRelease();
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
    assert.match(rest, /DATA: TWO/);
    const rec = proc.records.at(-1)!;
    assert.equal(rec.messages.at(-1)!.response_body!.end_of_stream, true);
  });

  it('response_headers reply may change :status; dynamic metadata kept only for receiving namespaces', async () => {
    handler = (m) =>
      m.request === 'response_headers'
        ? answer(m, { header_mutation: { set_headers: [rawHeader(':status', '404')] } }, {
            dynamic_metadata: { fields: { mcpgw: { structValue: { fields: { tool: { stringValue: 'echo' } } } }, other: { structValue: { fields: {} } } } },
          })
        : answer(m);
    const sim = await simWith({ receivingNamespaces: ['mcpgw'] });
    const res = await fetch(`${sim.url}/mcp`);
    assert.equal(res.status, 404);
    assert.deepEqual(Object.keys(sim.log.at(-1)!.dynamicMetadata), ['mcpgw']);
    assert.equal(sim.log.at(-1)!.dynamicMetadata.mcpgw!.fields!.tool!.stringValue, 'echo');
  });
  it('clear_route_cache re-matches the route only with a header_mutation in the same reply', async () => {
    const setAuthority = (clear: boolean) => (m: ProcessingRequest) =>
      m.request === 'request_headers' ? answer(m, { header_mutation: { set_headers: [rawHeader(':authority', 'b.example')] }, clear_route_cache: clear }) : answer(m);
    const sim = new EnvoySim({
      routes: [
        { authority: 'b.example', cluster: 'b' },
        { authority: '*', cluster: 'a' },
      ],
      clusters: [
        { name: 'a', lb: 'round_robin', endpoints: [ups.keys[0]!] },
        { name: 'b', lb: 'round_robin', endpoints: [ups.keys[1]!] },
      ],
      extProc: { target: proc.target, mutationRules: { allowAllRouting: true } },
    });
    await sim.start();
    sims.push(sim);
    handler = setAuthority(false);
    await (await fetch(`${sim.url}/mcp`)).text();
    assert.equal(sim.log.at(-1)!.cluster, 'a');
    handler = setAuthority(true);
    await (await fetch(`${sim.url}/mcp`)).text();
    assert.equal(sim.log.at(-1)!.cluster, 'b');
    assert.equal(sim.log.at(-1)!.upstreamHeaders!.host, 'b.example');
  });

  it('client disconnect aborts the upstream request and ends the ext_proc stream', async () => {
    const sim = await simWith({ processingMode: { response_body_mode: 'STREAMED' } });
    const ac = new AbortController();
    const res = await fetch(`${sim.url}/sse`, { signal: ac.signal });
    const reader = res.body!.getReader();
    await reader.read();
    ac.abort();
    await sim.log.at(-1)!.done;
    const rec = proc.records.at(-1)!;
    await waitFor(() => rec.cancelled);
    sseRelease();
  });
});

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cond(), 'condition not reached');
}
