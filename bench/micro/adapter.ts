// The adapters' own CPU per request, without gRPC: the Check handler (view, decision, metrics, audit,
// CheckResponse) and the three ext_proc messages of a tools/call in an open session (header decoding,
// decisions, metrics, audit line, replies), as GatewayService wires them, audit lines to /dev/null.
import type * as grpc from '@grpc/grpc-js';
import { authorizationService } from '../../src/authz/index.js';
import type { CheckRequest, CheckResponse, ProcessingRequest } from '../../src/envoy/index.js';
import { ProcessStream, RequestProcessor } from '../../src/extproc/index.js';
import { MemorySessionRegistry } from '../../src/sessions/index.js';
import { AuditLog, DecisionObserver, GatewayMetrics, startTracing } from '../../src/telemetry/index.js';
import { timeEach, type LatencySummary } from '../histogram.js';
import { TOOLS_CALL_BODY, checkHeadersRequest, checkRequest, processingSequence } from '../messages.js';
import { binding, buildRig, podHosts, sessionId, silentLogger } from './rig.js';

export interface AdapterResult {
  check: LatencySummary;
  extproc: LatencySummary;
  /** µs per request over a tight loop (mean, includes GC). */
  checkMeanUs: number;
  extprocMeanUs: number;
  /** One tools/call through both hooks: the Check with the body, then the ext_proc stream (the wiring before issue 15). */
  bodyTwice: LatencySummary;
  /** The same through the shipped wiring: headers-only Check, its metadata forwarded to the ext_proc stream. */
  shipped: LatencySummary;
}

export async function adapterBench(samples: number): Promise<AdapterResult> {
  const registry = new MemorySessionRegistry({ ttlMs: 86_400_000 });
  await registry.put(binding(0, podHosts(3), Date.now()));
  const rig = await buildRig(registry, 3);
  const metrics = new GatewayMetrics();
  const audit = new AuditLog({ destination: { file: '/dev/null' }, arguments: 'omit' });
  const observer = new DecisionObserver({ metrics, logger: silentLogger, audit, tracing: await startTracing({ serviceName: 'bench' }), auditHook: 'ext_proc' });
  const deps = { gateway: rig.gateway, metrics, logger: silentLogger, observer };
  const processor = new RequestProcessor(deps);
  const check = authorizationService(deps).Check as (call: unknown, cb: grpc.sendUnaryData<CheckResponse>) => void;
  const req: CheckRequest = checkRequest(TOOLS_CALL_BODY, { 'mcp-session-id': sessionId(0) });
  const seq: ProcessingRequest[] = processingSequence({ extraHeaders: { 'mcp-session-id': sessionId(0) } }).map((m) => ({ ...m, request: (Object.keys(m).find((k) => k.endsWith('_headers') || k.endsWith('_body')) as ProcessingRequest['request']) }));
  const headersOnly: CheckRequest = checkHeadersRequest({ 'mcp-session-id': sessionId(0) });
  const checkOf = (request: CheckRequest) =>
    new Promise<CheckResponse>((resolve, reject) =>
      check({ request }, (err, res) => (err ? reject(err) : res?.status?.code ? reject(new Error(`denied ${res.status.code}`)) : resolve(res!))),
    );
  const oneCheck = async () => void (await checkOf(req));
  const oneStream = async (messages: readonly ProcessingRequest[] = seq) => {
    let problem: string | undefined;
    const stream = new ProcessStream(
      { write: (r) => void (r.immediate_response && (problem = 'immediate response')), end: () => undefined, fail: (m) => void (problem = m) },
      processor,
      deps,
    );
    for (const m of messages) stream.receive(m);
    await stream.settled();
    stream.cancel();
    if (problem) throw new Error(`ext_proc: ${problem}`);
  };
  const mean = async (fn: () => Promise<void>, n: number) => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await fn();
    return Math.round(Number(process.hrtime.bigint() - t0) / n / 10) / 100;
  };
  const bodyTwice = async () => (await oneCheck(), await oneStream());
  const shipped = async () => {
    const res = await checkOf(headersOnly);
    const [first, ...rest] = seq;
    const forwarded = res.dynamic_metadata ? { ...first, metadata_context: { filter_metadata: { 'envoy.filters.http.ext_authz': res.dynamic_metadata } } } : first!;
    await oneStream([forwarded, ...rest]);
  };
  try {
    for (let i = 0; i < 2000; i++) await bodyTwice(), await shipped();
    const checkH = await timeEach(samples, oneCheck);
    const extproc = await timeEach(samples, () => oneStream());
    const result = { check: checkH, extproc, checkMeanUs: await mean(oneCheck, samples * 2), extprocMeanUs: await mean(() => oneStream(), samples * 2) };
    return { ...result, bodyTwice: await timeEach(samples, bodyTwice), shipped: await timeEach(samples, shipped) };
  } finally {
    await rig.close();
    await audit.close();
  }
}
