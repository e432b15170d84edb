// Child entry: the bare baselines on one gRPC port with mcpgw's server options and the same proto
// loading: a Check that returns OK, and an ext_proc processor answering each message with an empty
// reply of the matching kind (closing the stream after the response headers, as mcpgw does).
import * as grpc from '@grpc/grpc-js';
import { loadEnvoyServices, type CheckRequest, type CheckResponse, type ProcessingRequest, type ProcessingResponse } from '../../src/envoy/index.js';

const services = loadEnvoyServices();
const server = new grpc.Server({ 'grpc.keepalive_time_ms': 30_000, 'grpc.keepalive_timeout_ms': 10_000, 'grpc.keepalive_permit_without_calls': 1 });

const KINDS = ['request_headers', 'request_body', 'response_headers', 'response_body', 'request_trailers', 'response_trailers'] as const;

server.addService(services.authorization.service, {
  Check(_call: grpc.ServerUnaryCall<CheckRequest, CheckResponse>, cb: grpc.sendUnaryData<CheckResponse>) {
    cb(null, { status: { code: 0 }, ok_response: {} });
  },
});
server.addService(services.externalProcessor.service, {
  Process(call: grpc.ServerDuplexStream<ProcessingRequest, ProcessingResponse>) {
    let ended = false;
    const end = () => {
      if (!ended) (ended = true), call.end();
    };
    call.on('data', (msg: ProcessingRequest) => {
      const kind = msg.request ?? KINDS.find((k) => msg[k] !== undefined);
      if (!kind) return;
      call.write({ [kind]: {} } as ProcessingResponse);
      if (kind === 'response_headers') end();
    });
    call.on('end', end);
    call.on('error', () => undefined);
  },
});

const port = await new Promise<number>((resolve, reject) =>
  server.bindAsync(`127.0.0.1:${process.env.BENCH_PORT ?? 0}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
);
process.on('message', (m: { stop?: boolean; id?: number; memory?: boolean; cpu?: boolean }) => {
  if (m.stop) return server.tryShutdown(() => process.exit(0));
  if (m.memory) process.send?.({ id: m.id, result: process.memoryUsage() });
  if (m.cpu) process.send?.({ id: m.id, result: process.cpuUsage() });
});
process.send?.({ ready: true, grpc: `127.0.0.1:${port}` });
