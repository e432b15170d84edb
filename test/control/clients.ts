// Control API clients for tests: gRPC with the real protos (requests and replies in proto3 JSON), and
// HTTP /v1 with fetch.
import * as grpc from '@grpc/grpc-js';
import { ProtoJson, loadControlProtos, type ControlMethodName, type JsonObject } from '../../src/control/index.js';

export type GrpcResult = { ok: true; body: JsonObject } | { ok: false; code: grpc.status; details: string };

type Unary = (req: unknown, md: grpc.Metadata, cb: (err: grpc.ServiceError | null, res: unknown) => void) => void;

export async function grpcControl(
  target: string,
  rpc: ControlMethodName,
  request: JsonObject,
  opts: { token?: string; credentials?: grpc.ChannelCredentials } = {},
): Promise<GrpcResult> {
  const { client: Ctor, definition, messages } = loadControlProtos();
  const json = new ProtoJson(definition);
  const types = messages.get(rpc) as { request: string; response: string };
  const client = new Ctor(target, opts.credentials ?? grpc.credentials.createInsecure()) as unknown as grpc.Client & Record<string, Unary>;
  const md = new grpc.Metadata();
  if (opts.token) md.set('authorization', `Bearer ${opts.token}`);
  try {
    return await new Promise<GrpcResult>((resolve) =>
      (client[rpc] as Unary).call(client, json.fromJson(types.request, request), md, (err, res) =>
        resolve(err ? { ok: false, code: err.code, details: err.details } : { ok: true, body: json.toJson(types.response, res) }),
      ),
    );
  } finally {
    client.close();
  }
}

export interface HttpResult {
  status: number;
  headers: Headers;
  body: JsonObject;
}

export async function httpControl(base: string, method: string, path: string, opts: { token?: string; body?: unknown; rawBody?: string } = {}): Promise<HttpResult> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const body = opts.rawBody ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  if (body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  return { status: r.status, headers: r.headers, body: (await r.json()) as JsonObject };
}

/** The field violations of an HTTP /v1 error body. */
export function violatedFields(body: JsonObject): string[] {
  const details = ((body.error as JsonObject | undefined)?.details ?? []) as JsonObject[];
  return details.flatMap((d) => ((d.fieldViolations ?? []) as JsonObject[]).map((v) => String(v.field)));
}
