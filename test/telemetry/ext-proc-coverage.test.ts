// mcpgw says when a server's requests reach ext_authz but never ext_proc (an EnvoyFilter that matches
// no listener): a metric per server and one warning line, cleared when ext_proc streams arrive.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { createLogger, EXT_PROC_ABSENT_AFTER_CHECKS, ExtProcCoverage } from '../../src/telemetry/index.js';
import { headerMap, postHeaders, startGateway, testConfig, type RunningGateway } from '../grpc/harness.js';

const SERVERS = [
  { name: 'files', match: { hosts: ['mcp.test'], pathPrefix: '/files' } },
  { name: 'tickets', match: { hosts: ['mcp.test'], pathPrefix: '/tickets' } },
];
const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });

async function check(gw: RunningGateway, path: string): Promise<void> {
  const headers = { ...postHeaders(), 'x-envoy-auth-partial-body': 'false' };
  const r = await gw.check({ attributes: { request: { http: { method: 'POST', path, host: 'mcp.test', headers, body } } } });
  assert.equal(r.status.code, 0, 'the Check is allowed');
}

async function process(gw: RunningGateway, path: string): Promise<void> {
  const s = gw.openStream();
  await s.send({ request_headers: { headers: headerMap({ ...postHeaders(), ':path': path, ':authority': 'mcp.test' }), end_of_stream: false } });
  await s.send({ request_body: { body: Buffer.from(body), end_of_stream: true } });
  await s.end();
}

async function absent(gw: RunningGateway): Promise<Record<string, string>> {
  const text = await (await fetch(`${gw.httpBase}/metrics`)).text();
  return Object.fromEntries([...text.matchAll(/^mcpgw_ext_proc_absent\{server="([^"]+)"\} (\S+)$/gm)].map((m) => [m[1], m[2]]));
}

const warnings = (gw: RunningGateway, server: string) =>
  gw.logs.map((l) => JSON.parse(l) as { level: string; msg: string; server?: string }).filter((l) => l.server === server && /no ext_proc streams/.test(l.msg));

describe('Checks without ext_proc streams', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startGateway(testConfig({ servers: SERVERS }));
  });
  after(() => gw.close());

  it('are reported per server, by a metric and one warning, while wired servers stay clear', async () => {
    for (let i = 0; i < EXT_PROC_ABSENT_AFTER_CHECKS - 1; i++) {
      await check(gw, '/files');
      await check(gw, '/tickets');
      await process(gw, '/tickets');
    }
    assert.deepEqual(await absent(gw), { files: '0', tickets: '0' }, 'not yet: one Check short');
    assert.equal(warnings(gw, 'files').length, 0);

    await check(gw, '/files');
    await check(gw, '/files');
    assert.deepEqual(await absent(gw), { files: '1', tickets: '0' });
    const [line, ...more] = warnings(gw, 'files');
    assert.equal(more.length, 0, 'one line at first sight, not one per Check');
    assert.equal(line?.level, 'warn');
    assert.equal(warnings(gw, 'tickets').length, 0);
  });

  it('clear once an ext_proc stream for that server arrives', async () => {
    await process(gw, '/files');
    assert.deepEqual(await absent(gw), { files: '0', tickets: '0' });
    assert.ok(gw.logs.some((l) => /"server":"files"/.test(l) && /ext_proc streams arrive for this server again/.test(l)));
  });
});

describe('bursts of concurrent requests', () => {
  it('are not flagged: a run must outgrow four times the longest one ext_proc ended', async () => {
    const registry = new Registry();
    const coverage = new ExtProcCoverage(registry, createLogger('silent'), 10);
    const flagged = async () => (await registry.getSingleMetricAsString('mcpgw_ext_proc_absent')).includes('server="files"} 1');
    const run = (n: number) => {
      for (let i = 0; i < n; i++) coverage.checked('files');
    };
    run(8);
    coverage.processed('files'); // a burst of 8 in flight, healthy
    run(31);
    assert.equal(await flagged(), false, '31 < 4 × 8');
    run(1);
    assert.equal(await flagged(), true, '32 = 4 × 8');
    coverage.processed('files');
    run(31);
    assert.equal(await flagged(), false, 'a flagged run does not raise the bar');
    run(1);
    assert.equal(await flagged(), true);
  });
});

describe('an ext_authz-only mesh (extProc: false)', () => {
  it('expects no ext_proc streams and reports nothing', async () => {
    const gw = await startGateway(testConfig({ servers: SERVERS, extProc: false }));
    try {
      for (let i = 0; i <= EXT_PROC_ABSENT_AFTER_CHECKS; i++) await check(gw, '/files');
      assert.deepEqual(await absent(gw), {});
      assert.equal(warnings(gw, 'files').length, 0);
    } finally {
      await gw.close();
    }
  });
});
