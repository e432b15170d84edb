// Test peers for envoy-sim tests: echo upstreams and tiny ext_proc / ext_authz servers on the real protos.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import type { CheckRequest, CheckResponse, ProcessingRequest, ProcessingResponse } from '../../src/envoy/messages.js';
import { loadEnvoyServices } from '../../src/envoy/protos.js';

export interface Upstreams {
  keys: string[];
  /** Requests each upstream received. */
  seen: Array<{ key: string; method: string; url: string; headers: http.IncomingHttpHeaders; body: string }>;
  close(): Promise<void>;
}

export type UpstreamHandler = (req: http.IncomingMessage, res: http.ServerResponse, body: string, key: string) => void;

/** n HTTP servers on 127.0.0.1; default handler echoes {served, headers, body} as JSON. */
export async function startUpstreams(n: number, handler?: UpstreamHandler): Promise<Upstreams> {
  const servers: http.Server[] = [];
  const keys: string[] = [];
  const seen: Upstreams['seen'] = [];
  for (let i = 0; i < n; i++) {
    let key = '';
    const s = http.createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        const body = Buffer.concat(parts).toString('utf8');
        seen.push({ key, method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        if (handler) return handler(req, res, body, key);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ served: key, headers: req.headers, body }));
      });
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    key = `127.0.0.1:${(s.address() as AddressInfo).port}`;
    servers.push(s);
    keys.push(key);
  }
  return {
    keys,
    seen,
    close: async () => {
      for (const s of servers) {
        s.closeAllConnections();
        await new Promise<void>((r) => s.close(() => r()));
      }
    },
  };
}

export interface ProcStreamRecord {
  messages: ProcessingRequest[];
  /** Client half-closed (Envoy's closeStream). */
  halfClosed: boolean;
  /** Then cancelled (Envoy's resetStream). */
  cancelled: boolean;
}

/** Reply to one message; undefined sends nothing (to provoke timeouts); 'close-ok' / an Error end the stream. */
export type ProcHandler = (msg: ProcessingRequest, stream: ProcStreamRecord) => ProcessingResponse | undefined | 'close-ok' | grpc.StatusObject | Promise<ProcessingResponse | undefined>;

export interface GrpcPeer<R> {
  target: string;
  records: R[];
  close(): Promise<void>;
}

async function serve(add: (s: grpc.Server) => void): Promise<{ server: grpc.Server; target: string }> {
  const server = new grpc.Server();
  add(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { server, target: `127.0.0.1:${port}` };
}

function shutdown(server: grpc.Server): Promise<void> {
  server.forceShutdown();
  return Promise.resolve();
}

/** ext_proc server answering with `handler`; records every stream's messages and its ending. */
export async function startExtProc(handler: ProcHandler): Promise<GrpcPeer<ProcStreamRecord>> {
  const records: ProcStreamRecord[] = [];
  const svc = loadEnvoyServices().externalProcessor.service;
  const { server, target } = await serve((s) =>
    s.addService(svc, {
      Process: (call: grpc.ServerDuplexStream<ProcessingRequest, ProcessingResponse>) => {
        const rec: ProcStreamRecord = { messages: [], halfClosed: false, cancelled: false };
        records.push(rec);
        call.on('end', () => (rec.halfClosed = true));
        call.on('cancelled', () => (rec.cancelled = true));
        call.on('error', () => {});
        call.on('data', async (m: ProcessingRequest) => {
          rec.messages.push(m);
          const r = await handler(m, rec);
          if (r === undefined) return;
          if (r === 'close-ok') return void call.end();
          if ('code' in r && typeof r.code === 'number') return void call.emit('error', r);
          call.write(r as ProcessingResponse);
        });
      },
    }),
  );
  return { target, records, close: () => shutdown(server) };
}

/** An ext_proc reply of the matching oneof, with an optional CommonResponse. */
export function answer(msg: ProcessingRequest, common: object = {}, extra: Partial<ProcessingResponse> = {}): ProcessingResponse {
  const kind = msg.request!;
  return { [kind]: { response: common }, ...extra } as ProcessingResponse;
}

/** ext_authz server answering with `handler`; records every CheckRequest. */
export async function startExtAuthz(handler: (req: CheckRequest) => CheckResponse | Promise<CheckResponse>): Promise<GrpcPeer<CheckRequest>> {
  const records: CheckRequest[] = [];
  const svc = loadEnvoyServices().authorization.service;
  const { server, target } = await serve((s) =>
    s.addService(svc, {
      Check: async (call: grpc.ServerUnaryCall<CheckRequest, CheckResponse>, cb: grpc.sendUnaryData<CheckResponse>) => {
        records.push(call.request);
        cb(null, await handler(call.request));
      },
    }),
  );
  return { target, records, close: () => shutdown(server) };
}

/** raw_value header option for ext_proc replies. */
export function rawHeader(key: string, value: string, append?: boolean) {
  return { header: { key, raw_value: Buffer.from(value) }, ...(append === undefined ? {} : { append: { value: append } }) };
}

/** Headers of a ProcessingRequest message as a record (values decoded from raw_value). */
export function procHeaders(m: ProcessingRequest): Record<string, string> {
  const h = m.request_headers ?? m.response_headers;
  const out: Record<string, string> = {};
  for (const v of h?.headers?.headers ?? []) out[v.key] = Buffer.from(v.raw_value ?? []).toString('utf8');
  return out;
}
