// In-process mcpgw plus real gRPC clients over loopback with Envoy's real protos.
import * as grpc from '@grpc/grpc-js';
import { Writable } from 'node:stream';
import { parseConfig, type GatewayConfig } from '../../src/config/index.js';
import { loadEnvoyServices, type CheckRequest, type CheckResponse, type ProcessingRequest, type ProcessingResponse } from '../../src/envoy/index.js';
import { GatewayService, type ServiceOptions } from '../../src/server/index.js';
import { createLogger } from '../../src/telemetry/index.js';

export function testConfig(extra: Record<string, unknown> = {}): GatewayConfig {
  const result = parseConfig(
    JSON.stringify({
      listen: { grpc: '127.0.0.1:0', http: '127.0.0.1:0' },
      log: { level: 'info' },
      shutdown: { graceSeconds: 3 },
      servers: [{ name: 'files', match: { hosts: ['mcp.test'], pathPrefix: '/mcp' }, tools: { deny: ['delete_*'] } }],
      ...extra,
    }),
  );
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.config;
}

export interface RunningGateway {
  service: GatewayService;
  grpcTarget: string;
  httpBase: string;
  logs: string[];
  check(req: CheckRequest): Promise<CheckResponse>;
  /** Opens one ext_proc stream; send() resolves with the reply to each message. */
  openStream(): ProcessStream;
  close(): Promise<void>;
}

export interface ProcessStream {
  send(msg: ProcessingRequest): Promise<ProcessingResponse>;
  end(): Promise<{ code: number; details: string }>;
  /** Cancels the call, as Envoy does when the request ends or its message timeout fires. */
  cancel(): void;
}

export async function startGateway(config: GatewayConfig = testConfig(), options: ServiceOptions = {}): Promise<RunningGateway> {
  const logs: string[] = [];
  const sink = new Writable({ write: (chunk, _enc, cb) => (logs.push(String(chunk)), cb()) });
  const service = new GatewayService(config, createLogger(config.log.level, sink), options);
  const addresses = await service.serve();
  const services = loadEnvoyServices();
  const authz = authzClient(addresses.grpc);
  const extproc = new services.externalProcessor(addresses.grpc, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
    Process(): grpc.ClientDuplexStream<ProcessingRequest, ProcessingResponse>;
  };
  return {
    service,
    grpcTarget: addresses.grpc,
    httpBase: `http://${addresses.http}`,
    logs,
    check: authz.check,
    openStream() {
      const call = extproc.Process();
      const waiting: Array<(r: ProcessingResponse) => void> = [];
      const status = new Promise<{ code: number; details: string }>((resolve) => {
        call.on('status', (s: grpc.StatusObject) => resolve({ code: s.code, details: s.details }));
        call.on('error', () => undefined);
      });
      call.on('data', (r: ProcessingResponse) => waiting.shift()?.(r));
      return {
        send: (msg) =>
          new Promise((resolve, reject) => {
            waiting.push(resolve);
            call.write(msg);
            void status.then((s) => reject(new Error(`stream ended: ${s.code} ${s.details}`)));
          }),
        end: () => {
          call.end();
          return status;
        },
        cancel: () => call.cancel(),
      };
    },
    async close() {
      authz.close();
      extproc.close();
      await service.close();
    },
  };
}

/** An ext_authz client of the mcpgw at `target` (host:port). */
export function authzClient(target: string): { check(req: CheckRequest): Promise<CheckResponse>; close(): void } {
  const client = new (loadEnvoyServices().authorization)(target, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
    Check(req: CheckRequest, cb: (err: grpc.ServiceError | null, res: CheckResponse) => void): void;
  };
  return {
    check: (req) => new Promise((resolve, reject) => client.Check(req, (err, res) => (err ? reject(err) : resolve(res)))),
    close: () => client.close(),
  };
}

export function headerMap(h: Record<string, string>): { headers: Array<{ key: string; raw_value: Buffer }> } {
  return { headers: Object.entries(h).map(([key, v]) => ({ key, raw_value: Buffer.from(v) })) };
}

export function postHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return { ':method': 'POST', ':path': '/mcp', ':authority': 'mcp.test', ':scheme': 'http', 'content-type': 'application/json', ...extra };
}

export function rawHeader(list: Array<{ header: { key: string; raw_value?: Buffer | Uint8Array; value?: string } }> | undefined, key: string): string | undefined {
  const h = list?.find((o) => o.header.key === key)?.header;
  return h?.raw_value ? Buffer.from(h.raw_value).toString() : undefined;
}
