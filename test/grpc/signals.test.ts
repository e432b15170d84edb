// Correct, quiet signals over real gRPC: a request is counted once per hook, refusals are logged
// only at debug (metrics and the audit log carry them), and a handler that throws is answered with
// a gRPC error (Envoy's configured failure mode applies), logged, and the next call is served.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { Gateway } from '../../src/core/index.js';
import { loadEnvoyServices, type CheckRequest, type CheckResponse, type ProcessingRequest, type ProcessingResponse } from '../../src/envoy/index.js';
import { GrpcListener, grpcMessageLimit } from '../../src/server/index.js';
import { DecisionObserver, GatewayMetrics, createLogger, startTracing } from '../../src/telemetry/index.js';
import { headerMap, postHeaders, startGateway, testConfig, type RunningGateway } from './harness.js';

const call = (name: string) => Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name, arguments: {} } }));
const checkRequest = (body: Buffer): CheckRequest => {
  const h = { ...postHeaders(), 'x-envoy-auth-partial-body': 'false' };
  return { attributes: { request: { http: { method: 'POST', path: '/mcp', host: 'mcp.test', headers: h, body: body.toString() } } } };
};

async function oneExtProcRequest(gw: RunningGateway, tool: string): Promise<void> {
  const s = gw.openStream();
  await s.send({ request_headers: { headers: headerMap(postHeaders()), end_of_stream: false } });
  const r = await s.send({ request_body: { body: call(tool), end_of_stream: true } });
  if (r.response !== 'immediate_response') await s.send({ response_headers: { headers: headerMap({ ':status': '200' }), end_of_stream: true } });
  await s.end();
}

const requestSeries = async (gw: RunningGateway) =>
  (await (await fetch(`${gw.httpBase}/metrics`)).text()).split('\n').filter((l) => l.startsWith('mcpgw_requests_total{'));
const sum = (series: string[], hook: string) => series.filter((l) => l.includes(`hook="${hook}"`)).reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);

describe('mcpgw_requests_total and refusal logs', () => {
  for (const level of ['info', 'debug'] as const) {
    describe(`at log level ${level}`, () => {
      let gw: RunningGateway;
      before(async () => (gw = await startGateway(testConfig({ log: { level } }))));
      after(() => gw.close());

      it('an ext_proc request with a body is counted once, under its method; ext_authz once too', async () => {
        await oneExtProcRequest(gw, 'echo');
        await oneExtProcRequest(gw, 'delete_it');
        await gw.check(checkRequest(call('echo')));
        const series = await requestSeries(gw);
        assert.equal(sum(series, 'ext_proc_request'), 2, series.join('\n'));
        assert.equal(sum(series, 'ext_authz'), 1, series.join('\n'));
        assert.ok(!series.some((l) => l.includes('method="none"')), series.join('\n'));
      });

      it(level === 'info' ? 'refusals write no log line' : 'refusals are logged at debug', async () => {
        await gw.check(checkRequest(call('delete_it')));
        const denied = gw.logs.flatMap((l) => l.split('\n')).filter((l) => l.includes('"request denied"'));
        if (level === 'info') assert.deepEqual(denied, []);
        else {
          assert.equal(denied.length, 2, denied.join('\n'));
          for (const l of denied) assert.equal(JSON.parse(l).level, 'debug');
        }
      });
    });
  }
});

describe('a handler that throws', () => {
  const logs: string[] = [];
  let listener: GrpcListener;
  let gateway: Gateway;
  let target: string;
  let failure: (() => never) | undefined;
  const services = loadEnvoyServices();
  let authz: grpc.Client & { Check(req: CheckRequest, cb: (err: grpc.ServiceError | null, res: CheckResponse) => void): void };
  let extproc: grpc.Client & { Process(): grpc.ClientDuplexStream<ProcessingRequest, ProcessingResponse> };

  before(async () => {
    const config = testConfig();
    const logger = createLogger('info', new Writable({ write: (c, _e, cb) => (logs.push(String(c)), cb()) }));
    const metrics = new GatewayMetrics();
    gateway = new Gateway(config);
    // The one seam: a bug anywhere in a decision, synchronous or not.
    const decide = gateway.decide.bind(gateway);
    gateway.decide = (view, hook) => (failure ? failure() : decide(view, hook));
    const observer = new DecisionObserver({ metrics, logger, tracing: await startTracing({ serviceName: 'test' }), auditHook: 'ext_proc' });
    listener = new GrpcListener({ gateway, metrics, logger, observer }, { maxMessageBytes: grpcMessageLimit(config.requests.maxBodyBytes) });
    target = `127.0.0.1:${await listener.listen('127.0.0.1', 0)}`;
    authz = new services.authorization(target, grpc.credentials.createInsecure()) as unknown as typeof authz;
    extproc = new services.externalProcessor(target, grpc.credentials.createInsecure()) as unknown as typeof extproc;
  });
  after(async () => {
    authz.close();
    extproc.close();
    await listener.close(1000);
  });

  const check = () => new Promise<{ err: grpc.ServiceError | null; res?: CheckResponse }>((resolve) => authz.Check(checkRequest(call('echo')), (err, res) => resolve({ err, res })));
  const processStatus = () =>
    new Promise<number>((resolve) => {
      const c = extproc.Process();
      c.on('data', () => undefined);
      c.on('error', () => undefined);
      c.on('status', (s: grpc.StatusObject) => resolve(s.code));
      c.write({ request_headers: { headers: headerMap(postHeaders()), end_of_stream: false } });
    });

  it('ext_authz and ext_proc answer INTERNAL and log the error', async () => {
    failure = () => {
      throw new Error('a bug in a decision');
    };
    const r = await check();
    assert.equal(r.err?.code, grpc.status.INTERNAL);
    assert.equal(await processStatus(), grpc.status.INTERNAL);
    const errors = logs.flatMap((l) => l.split('\n')).filter((l) => l.includes('a bug in a decision'));
    assert.equal(errors.length, 2, logs.join(''));
    for (const l of errors) assert.equal(JSON.parse(l).level, 'error');
  });

  it('the next call is served', async () => {
    failure = undefined;
    const r = await check();
    assert.equal(r.err, null);
    assert.equal(r.res?.status.code, 0);
  });
});
