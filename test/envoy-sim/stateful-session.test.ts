// envoy-sim's stateful_session header filter and DRAINING hosts behave as reference/envoy.md §5.1 and
// §3.6 describe: first header value, standard base64 "ip:port", override only to a cluster host whose
// health status is allowed, otherwise the normal LB (or 503 when strict); DRAINING hosts never taken by the LB.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HeaderList } from './headerList.js';
import { answer, procHeaders, rawHeader, startExtProc, startUpstreams, type GrpcPeer, type ProcStreamRecord, type Upstreams } from './harness.js';
import { EnvoySim, UPSTREAM_HEADER } from './index.js';
import { envoyBase64Decode, requestedHost } from './statefulSession.js';

const HEADER = 'x-mcp-affinity';
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('stateful_session header decoding (Envoy Base64::decode)', () => {
  it('reads the first value, standard base64 with padding; anything else selects no host', () => {
    assert.equal(envoyBase64Decode('MTAuMC4wLjM6ODA4MA=='), '10.0.0.3:8080');
    assert.equal(envoyBase64Decode('MTAuMC4wLjM6ODA4MA'), '', 'unpadded: length not a multiple of 4');
    assert.equal(envoyBase64Decode('MTAuMC4wLjM6ODA4MA-_'), '', 'URL-safe alphabet');
    assert.equal(requestedHost(new HeaderList([[HEADER, b64('a:1')], [HEADER, b64('b:2')]]), HEADER), 'a:1');
    assert.equal(requestedHost(new HeaderList([[HEADER, '']]), HEADER), undefined);
    assert.equal(requestedHost(new HeaderList(), HEADER), undefined);
  });
});

describe('envoy-sim stateful_session + DRAINING hosts', () => {
  let ups: Upstreams;
  let sim: EnvoySim;
  let strict: EnvoySim;
  let proc: GrpcPeer<ProcStreamRecord>;
  /** What the ext_proc server writes into the session header (undefined: nothing). */
  let procSets: string | undefined;

  before(async () => {
    ups = await startUpstreams(4);
    proc = await startExtProc((m) =>
      m.request_headers && procSets !== undefined ? answer(m, { header_mutation: { set_headers: [rawHeader(HEADER, procSets)] } }) : answer(m),
    );
    const [a, b, c] = ups.keys as [string, string, string];
    sim = new EnvoySim({
      routes: [{ authority: '*', pathPrefix: '/', cluster: 'mcp' }],
      clusters: [{ name: 'mcp', lb: 'round_robin', endpoints: [a, b], drainingEndpoints: [c], overrideHostStatus: ['HEALTHY', 'DRAINING'] }],
      statefulSession: { header: HEADER },
      extProc: { target: proc.target, processingMode: { request_header_mode: 'SEND', response_header_mode: 'SEND' } },
    });
    strict = new EnvoySim({
      routes: [{ authority: '*', pathPrefix: '/', cluster: 'mcp' }],
      // Envoy's default override_host_status: DRAINING hosts are not reachable.
      clusters: [{ name: 'mcp', lb: 'round_robin', endpoints: [a, b], drainingEndpoints: [c] }],
      statefulSession: { header: HEADER, strict: true },
    });
    await Promise.all([sim.start(), strict.start()]);
  });
  after(async () => {
    await Promise.all([sim.close(), strict.close()]);
    await proc.close();
    await ups.close();
  });

  async function get(s: EnvoySim, headers: Record<string, string> = {}) {
    const res = await fetch(`${s.url}/x`, { headers });
    const body = (await res.json().catch(() => ({}))) as { served?: string };
    return { status: res.status, served: body.served, upstream: res.headers.get(UPSTREAM_HEADER), sessionHeader: res.headers.get(HEADER), entry: s.log.at(-1)! };
  }

  it('an allowed host (HEALTHY, or DRAINING where the cluster allows it) is the upstream on every request', async () => {
    const [a, b, c] = ups.keys as [string, string, string];
    for (const host of [a, b, c]) {
      for (let i = 0; i < 4; i++) {
        const r = await get(sim, { [HEADER]: b64(host) });
        assert.equal(r.served, host);
        assert.equal(r.entry.overrideHost, host);
        assert.equal(r.sessionHeader, null, 'the request named the host that served: nothing added to the response');
      }
    }
  });

  it('without the header, or naming an unknown host, the LB chooses (round robin over HEALTHY only) and the response names the host', async () => {
    const [a, b, c, d] = ups.keys as [string, string, string, string];
    const served = new Set<string>();
    const requests: Array<Record<string, string>> = [{}, { [HEADER]: b64(d) }, { [HEADER]: 'not base64!' }, {}, { [HEADER]: b64(d) }, {}];
    for (const h of requests) {
      const r = await get(sim, h);
      assert.equal(r.status, 200);
      assert.equal(r.entry.overrideHost, undefined);
      assert.equal(r.sessionHeader, b64(r.served!), 'response carries base64 of the host that served');
      served.add(r.served!);
    }
    assert.deepEqual([...served].sort(), [a, b].sort(), 'the DRAINING host and the host outside the cluster are never picked by the LB');
    assert.ok(!served.has(c));
  });

  it('the filter reads the header as ext_proc set it (it runs after ext_proc, just before the router)', async () => {
    const [, b] = ups.keys as [string, string];
    procSets = b64(b);
    try {
      for (let i = 0; i < 3; i++) {
        const r = await get(sim, { [HEADER]: b64(ups.keys[0]!) });
        assert.equal(r.served, b);
        assert.equal(procHeaders(proc.records.at(-1)!.messages[0]!)[HEADER], b64(ups.keys[0]!), 'ext_proc saw the client value');
      }
    } finally {
      procSets = undefined;
    }
  });

  it('setEndpoints moves a host between HEALTHY and DRAINING; a host gone from EDS is not reachable', async () => {
    const [a, b, c] = ups.keys as [string, string, string];
    sim.setEndpoints('mcp', [a], { draining: [b] });
    try {
      assert.equal((await get(sim, { [HEADER]: b64(b) })).served, b, 'DRAINING b still reachable by override');
      for (let i = 0; i < 3; i++) assert.equal((await get(sim)).served, a, 'LB only has a');
      const gone = await get(sim, { [HEADER]: b64(c) });
      assert.equal(gone.served, a, 'c left EDS: fallback to the LB');
      assert.equal(gone.sessionHeader, b64(a));
      assert.throws(() => sim.setEndpoints('mcp', [a], { draining: [a] }), /both healthy and draining/);
    } finally {
      sim.setEndpoints('mcp', [a, b], { draining: [c] });
    }
  });

  it('strict: a host that is not allowed (DRAINING under the default statuses) or unknown is 503; no header → LB', async () => {
    const [a, , c, d] = ups.keys as [string, string, string, string];
    assert.equal((await get(strict, { [HEADER]: b64(a) })).served, a);
    for (const host of [c, d]) {
      const r = await get(strict, { [HEADER]: b64(host) });
      assert.equal(r.status, 503);
      assert.equal(r.entry.upstream, undefined);
      assert.equal(r.entry.localReply?.details, 'stateful_session_host_not_found');
    }
    assert.equal((await get(strict)).status, 200);
  });
});
