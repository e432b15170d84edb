// mcpgw decodes CheckRequest and ProcessingRequest itself (src/envoy/decode.ts, only the fields it
// reads). For any message Envoy's real protos encode, it reads what @grpc/proto-loader reads for those
// fields; for bytes that are not a message it throws an Error (grpc-js answers INTERNAL), never
// anything else, and through gRPC a malformed message fails that call only.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import {
  EXT_AUTHZ_NAMESPACE,
  EXT_PROC_ATTRIBUTES_NAMESPACE,
  decodeCheckRequest,
  decodeProcessingRequest,
  loadEnvoyServices,
  type CheckRequest,
  type ProcessingRequest,
} from '../../src/envoy/index.js';
import { startGateway } from '../grpc/harness.js';

const services = loadEnvoyServices();
const check = services.authorization.service.Check!;
const process_ = services.externalProcessor.service.Process!;
const encodeCheck = (m: unknown) => check.requestSerialize(m);
const encodeProcessing = (m: unknown) => process_.requestSerialize(m);

/** Plain, comparable: Buffers as hex, no prototypes, undefined dropped. */
function plain(v: unknown): unknown {
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return `hex:${Buffer.from(v).toString('hex')}`;
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) if ((v as Record<string, unknown>)[k] !== undefined) out[k] = plain((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/** The CheckRequest fields the ext_authz adapter reads. */
function checkFields(m: CheckRequest): unknown {
  const a = m.attributes;
  const h = a?.request?.http;
  return plain({
    attributes: a === undefined,
    principal: a?.source?.principal,
    http: h && { method: h.method, headers: h.headers, path: h.path, host: h.host, body: h.body, raw_body: h.raw_body },
  });
}

/** The ProcessingRequest fields the ext_proc adapter reads. */
function processingFields(m: ProcessingRequest): unknown {
  const kind = m.request;
  return plain({
    request: kind,
    message: kind ? m[kind] : undefined,
    authz: m.metadata_context?.filter_metadata?.[EXT_AUTHZ_NAMESPACE],
    attributes: m.attributes?.[EXT_PROC_ATTRIBUTES_NAMESPACE],
  });
}

const text = fc.string({ unit: 'grapheme', maxLength: 24 });
const bytes = fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b));
const headerName = fc.string({ unit: fc.constantFrom(...'abcxyz-:_09'), minLength: 1, maxLength: 12 });
const peer = fc.record({ principal: text, service: text, address: fc.record({ socket_address: fc.record({ address: text, port_value: fc.nat(65535) }) }) }, { requiredKeys: [] });

const { value: valueArb } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ nullValue: fc.constant('NULL_VALUE') }),
    fc.record({ numberValue: fc.double({ noNaN: true }) }),
    fc.record({ stringValue: text }),
    fc.record({ boolValue: fc.boolean() }),
    fc.record({ structValue: tie('struct') }),
    fc.record({ listValue: fc.record({ values: fc.array(tie('value'), { maxLength: 3 }) }) }),
  ),
  struct: fc.record({ fields: fc.dictionary(text, tie('value'), { maxKeys: 4 }) }, { requiredKeys: [] }),
}));
const structArb = fc.record({ fields: fc.dictionary(text, valueArb, { maxKeys: 5 }) }, { requiredKeys: [] });
/** A Struct map with mcpgw's namespace sometimes present among others. */
const structMap = (wanted: string) => fc.dictionary(fc.oneof(fc.constant(wanted), fc.constantFrom('istio_authn', 'envoy.lb'), text), structArb, { maxKeys: 3 });

const checkArb = fc.record(
  {
    attributes: fc.record(
      {
        source: peer,
        destination: peer,
        request: fc.record(
          {
            time: fc.record({ seconds: fc.nat().map(String), nanos: fc.nat(999_999_999) }),
            http: fc.record(
              {
                id: text,
                method: text,
                headers: fc.dictionary(headerName, text, { maxKeys: 8 }),
                path: text,
                host: text,
                scheme: text,
                query: text,
                size: fc.nat().map(String),
                protocol: text,
                body: text,
                raw_body: bytes,
              },
              { requiredKeys: [] },
            ),
          },
          { requiredKeys: [] },
        ),
        context_extensions: fc.dictionary(text, text, { maxKeys: 3 }),
        metadata_context: fc.record({ filter_metadata: structMap(EXT_AUTHZ_NAMESPACE) }, { requiredKeys: [] }),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: [] },
);

const headerMapArb = fc.record(
  { headers: fc.array(fc.record({ key: headerName, value: text, raw_value: bytes }, { requiredKeys: ['key'] }), { maxLength: 8 }) },
  { requiredKeys: [] },
);
const httpHeadersArb = fc.record({ headers: headerMapArb, end_of_stream: fc.boolean() }, { requiredKeys: [] });
const httpBodyArb = fc.record({ body: bytes, end_of_stream: fc.boolean() }, { requiredKeys: [] });
const trailersArb = fc.record({ trailers: headerMapArb }, { requiredKeys: [] });
const processingArb = fc
  .tuple(
    fc.oneof(
      httpHeadersArb.map((v) => ({ request_headers: v })),
      httpHeadersArb.map((v) => ({ response_headers: v })),
      httpBodyArb.map((v) => ({ request_body: v })),
      httpBodyArb.map((v) => ({ response_body: v })),
      trailersArb.map((v) => ({ request_trailers: v })),
      trailersArb.map((v) => ({ response_trailers: v })),
    ),
    fc.record({ metadata_context: fc.record({ filter_metadata: structMap(EXT_AUTHZ_NAMESPACE) }, { requiredKeys: [] }), attributes: structMap(EXT_PROC_ATTRIBUTES_NAMESPACE), observability_mode: fc.boolean() }, { requiredKeys: [] }),
  )
  .map(([message, rest]) => ({ ...message, ...rest }));

test('CheckRequest: the fast decoder reads what proto-loader reads, for every field the adapter uses', () => {
  fc.assert(
    fc.property(checkArb, (m) => {
      const wire = encodeCheck(m);
      assert.deepEqual(checkFields(decodeCheckRequest(wire)), checkFields(check.requestDeserialize(wire) as CheckRequest));
    }),
    { numRuns: 1500 },
  );
});

test('ProcessingRequest: the fast decoder reads what proto-loader reads, for every field the adapter uses', () => {
  fc.assert(
    fc.property(processingArb, (m) => {
      const wire = encodeProcessing(m);
      assert.deepEqual(processingFields(decodeProcessingRequest(wire)), processingFields(process_.requestDeserialize(wire) as ProcessingRequest));
    }),
    { numRuns: 1500 },
  );
});

/** Either a message or an Error: nothing else escapes, whatever the bytes. */
function decodesOrThrowsError(decode: (b: Buffer) => unknown, b: Buffer): void {
  try {
    decode(b);
  } catch (err) {
    assert.ok(err instanceof Error, `threw ${String(err)}`);
  }
}

test('random bytes and every truncation of a real message decode or throw an Error', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
      decodesOrThrowsError(decodeCheckRequest, Buffer.from(b));
      decodesOrThrowsError(decodeProcessingRequest, Buffer.from(b));
    }),
    { numRuns: 5000 },
  );
  fc.assert(
    fc.property(processingArb, checkArb, fc.double({ min: 0, max: 1, noNaN: true }), (p, c, at) => {
      const pw = encodeProcessing(p);
      const cw = encodeCheck(c);
      decodesOrThrowsError(decodeProcessingRequest, pw.subarray(0, Math.floor(pw.length * at)));
      decodesOrThrowsError(decodeCheckRequest, cw.subarray(0, Math.floor(cw.length * at)));
    }),
    { numRuns: 1000 },
  );
});

/** A length-delimited field, by hand: protobufjs's own encoder refuses nesting this deep. */
function field(no: number, payload: Buffer | string): Buffer {
  const p = Buffer.from(payload);
  const len: number[] = [];
  for (let n = p.length; ; n >>>= 7) {
    if (n < 0x80) {
      len.push(n);
      break;
    }
    len.push((n & 0x7f) | 0x80);
  }
  return Buffer.concat([Buffer.from([(no << 3) | 2, ...len]), p]);
}

test('a Struct nested past the depth guard is refused with an Error, not a stack overflow', () => {
  let value = field(3, 'x');
  for (let i = 0; i < 5000; i++) value = field(5, field(1, Buffer.concat([field(1, 'k'), field(2, value)])));
  const entry = field(1, Buffer.concat([field(1, EXT_AUTHZ_NAMESPACE), field(2, field(1, Buffer.concat([field(1, 'k'), field(2, value)])))]));
  const wire = Buffer.concat([field(4, ''), field(8, entry)]);
  assert.throws(() => decodeProcessingRequest(wire), /nested deeper/);
});

test('through gRPC, a malformed Check or ext_proc message fails that call with INTERNAL; the next call is answered', async () => {
  const gw = await startGateway();
  const raw = new grpc.Client(gw.grpcTarget, grpc.credentials.createInsecure());
  // A submessage whose inner field claims 4 GiB: attributes (Check), request_headers (ext_proc).
  const garbage = (field: number) => Buffer.from([(field << 3) | 2, 0x05, 0x0a, 0xff, 0xff, 0xff, 0x0f]);
  try {
    const status = await new Promise<grpc.ServiceError>((resolve, reject) =>
      raw.makeUnaryRequest(check.path, (b: Buffer) => b, (b: Buffer) => b, garbage(1), (err) => (err ? resolve(err) : reject(new Error('answered')))),
    );
    assert.equal(status.code, grpc.status.INTERNAL);
    const stream = raw.makeBidiStreamRequest(process_.path, (b: Buffer) => b, (b: Buffer) => b);
    const ended = new Promise<grpc.StatusObject>((resolve) => stream.on('status', resolve));
    stream.on('data', () => undefined);
    stream.on('error', () => undefined);
    stream.write(garbage(2));
    assert.equal((await ended).code, grpc.status.INTERNAL);
    const ok = await gw.check({ attributes: { request: { http: { method: 'GET', path: '/healthz', host: 'other.test', headers: { ':method': 'GET', ':path': '/healthz', ':authority': 'other.test' } } } } });
    assert.equal(typeof ok.status.code, 'number');
  } finally {
    raw.close();
    await gw.close();
  }
});
