// SSE first-event latency: an MCP client calls a tool that streams a notification first, through
// envoy-sim, with mcpgw answering ext_authz + ext_proc (the shipped wiring) or with no mcpgw at all.
import { Agent, request } from 'node:http';
import { EnvoySim } from '../test/envoy-sim/index.js';
import { meshWiring, MCPGW_MAX_REQUESTS_PER_CONNECTION } from '../test/e2e/stack.js';
import { startMcpPod } from '../test/fixtures/pod.js';
import type * as hdr from 'hdr-histogram-js';
import { compiledTree } from './build.js';
import { newHistogram, recordNs, summarize, type LatencySummary } from './histogram.js';
import { imageNodeFlags } from './idle.js';
import { benchEntry, spawnChild } from './proc/spawn.js';

const AFFINITY_HEADER = 'x-mcp-affinity';
const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

interface Exchange {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** ns from request start to the first complete SSE event (or to the end of a JSON reply). */
  firstEventNs: number;
  /** ns from request start to each complete SSE event, in order. */
  eventNs: number[];
  body: string;
}

function post(agent: Agent, url: string, body: unknown, headers: Record<string, string>): Promise<Exchange> {
  const payload = Buffer.from(JSON.stringify(body));
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { ...MCP_HEADERS, ...headers, 'content-length': String(payload.length) } }, (res) => {
      let text = '';
      const eventNs: number[] = [];
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        const now = Number(process.hrtime.bigint() - t0);
        // Events completed by this chunk (each ends with a blank line).
        for (let n = (text.match(/^data:.*\n\n/gm) ?? []).length; eventNs.length < n; ) eventNs.push(now);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, firstEventNs: eventNs[0] ?? Number(process.hrtime.bigint() - t0), eventNs, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Events the tool streams per call, and the pod's pause between them (the gaps measured). */
const EVENTS = 3;
const EVENT_DELAY_MS = 2;

async function firstEventLatency(url: string, iterations: number, hist: hdr.Histogram, gaps: hdr.Histogram): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const init = await post(agent, url, { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } }, {});
    const session = init.headers['mcp-session-id'];
    if (init.status !== 200 || typeof session !== 'string') throw new Error(`initialize: ${init.status} ${init.body.slice(0, 200)}`);
    const h = { 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' };
    await post(agent, url, { jsonrpc: '2.0', method: 'notifications/initialized' }, h);
    for (let i = -20; i < iterations; i++) {
      const r = await post(agent, url, { jsonrpc: '2.0', id: i + 100, method: 'tools/call', params: { name: 'slow_count', arguments: { n: EVENTS, delayMs: EVENT_DELAY_MS } } }, h);
      if (r.status !== 200 || !r.body.includes('notifications/message')) throw new Error(`tools/call: ${r.status} ${r.body.slice(0, 200)}`);
      if (i < 0) continue;
      recordNs(hist, r.firstEventNs);
      // Between consecutive notifications (the last event is the result, sent without a pause).
      for (let e = 1; e < Math.min(EVENTS, r.eventNs.length); e++) recordNs(gaps, r.eventNs[e]! - r.eventNs[e - 1]!);
    }
  } finally {
    agent.destroy();
  }
}

export interface SseResult {
  withMcpgw: LatencySummary;
  direct: LatencySummary;
  /** Time between consecutive events of one response (the pod pauses EVENT_DELAY_MS between them). */
  gapWithMcpgw: LatencySummary;
  gapDirect: LatencySummary;
}

export async function sseFirstEvent(iterations: number, mcpgwCpu: number | undefined): Promise<SseResult> {
  const pod = await startMcpPod({ name: 'sse-pod' });
  const config = {
    listen: { grpc: '127.0.0.1:0', http: '127.0.0.1:0' },
    servers: [{ name: 'sse', match: { hosts: ['127.0.0.1', 'localhost'], pathPrefix: '/mcp' }, affinity: { header: AFFINITY_HEADER }, endpoints: { static: [pod.hostKey] } }],
  };
  const gw = await spawnChild(benchEntry('./mcpgwServer.mjs'), { cpu: mcpgwCpu, nodeFlags: imageNodeFlags(), env: { MCPGW_BENCH_CONFIG: JSON.stringify(config), MCPGW_BENCH_DIST: compiledTree() } });
  const cluster = { name: 'mcp', lb: 'ring_hash' as const, hashHeader: AFFINITY_HEADER, endpoints: [pod.hostKey] };
  const routes = [{ authority: '*', pathPrefix: '/', cluster: 'mcp' }];
  const withGw = new EnvoySim({ routes, clusters: [cluster], ...meshWiring(String(gw.ready.grpc)), grpcMaxRequestsPerConnection: MCPGW_MAX_REQUESTS_PER_CONNECTION });
  const direct = new EnvoySim({ routes, clusters: [cluster] });
  await Promise.all([withGw.start(), direct.start()]);
  try {
    // Alternate so drift (GC, JIT, the VM) lands on both.
    const [hDirect, hGw, gDirect, gGw] = [newHistogram(), newHistogram(), newHistogram(), newHistogram()];
    for (const n of [Math.ceil(iterations / 2), Math.floor(iterations / 2)]) {
      await firstEventLatency(`${direct.url}/mcp`, n, hDirect, gDirect);
      await firstEventLatency(`${withGw.url}/mcp`, n, hGw, gGw);
    }
    return { direct: summarize(hDirect), withMcpgw: summarize(hGw), gapDirect: summarize(gDirect), gapWithMcpgw: summarize(gGw) };
  } finally {
    await Promise.all([withGw.close(), direct.close()]);
    await gw.stop();
    await pod.close();
  }
}
