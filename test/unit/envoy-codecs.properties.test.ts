// mcpgw decodes CheckRequest and ProcessingRequest itself (src/envoy/decode.ts, only the fields it
// reads) and encodes its replies itself (src/envoy/encode.ts). For any message Envoy's real protos
// encode, it reads what @grpc/proto-loader reads for those fields; for bytes that are not a message it
// throws an Error (grpc-js answers INTERNAL), never anything else, and through gRPC a malformed message
// fails that call only. Its replies are byte for byte what proto-loader writes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import {
  EXT_AUTHZ_NAMESPACE,
  EXT_PROC_ATTRIBUTES_NAMESPACE,
  decodeCheckRequest,
  decodeProcessingRequest,
  envoyServiceDefinitions,
  headerLookup,
  headerRecord,
  headerValueText,
  loadEnvoyServices,
  type CheckRequest,
  type HeaderMap,
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

/** A header map as the adapter reads it: each header's name and text (headerValueText). */
function headerTexts(map: HeaderMap | undefined): unknown {
  return map && { headers: map.headers?.map((h) => ({ key: h.key, text: headerValueText(h) })) };
}

/** The ProcessingRequest fields the ext_proc adapter reads. */
function processingFields(m: ProcessingRequest): unknown {
  const kind = m.request;
  const message = kind ? m[kind] : undefined;
  return plain({
    request: kind,
    message: message && ('headers' in message ? { ...message, headers: headerTexts(message.headers) } : 'trailers' in message ? { trailers: headerTexts(message.trailers) } : message),
    authz: m.metadata_context?.filter_metadata?.[EXT_AUTHZ_NAMESPACE],
    attributes: m.attributes?.[EXT_PROC_ATTRIBUTES_NAMESPACE],
  });
}

const text = fc.string({ unit: 'grapheme', maxLength: 24 });
const bytes = fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b));
const headerName = fc.string({ unit: fc.constantFrom(...'abcxyz-:_09'), minLength: 1, maxLength: 12 });
/** Few distinct names, so a map often repeats one. */
const repeatedName = fc.constantFrom('a', 'x-a', ':path');
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
                headers: fc.dictionary(fc.oneof(headerName, repeatedName), text, { maxKeys: 8 }),
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
  { headers: fc.array(fc.record({ key: fc.oneof(headerName, repeatedName), value: text, raw_value: bytes }, { requiredKeys: ['key'] }), { maxLength: 8 }) },
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
      const ours = decodeCheckRequest(wire);
      const theirs = check.requestDeserialize(wire) as CheckRequest;
      assert.deepEqual(checkFields(ours), checkFields(theirs));
      // The lookup the adapter uses (values decoded on first read) finds what the map holds.
      const record = theirs.attributes?.request?.http?.headers ?? {};
      for (const name of [...Object.keys(record), 'absent']) assert.equal(ours.attributes?.request?.http?.header?.(name), record[name]);
    }),
    { numRuns: 1500 },
  );
});

test('ProcessingRequest: the fast decoder reads what proto-loader reads, for every field the adapter uses', () => {
  fc.assert(
    fc.property(processingArb, (m) => {
      const wire = encodeProcessing(m);
      const ours = decodeProcessingRequest(wire);
      const theirs = process_.requestDeserialize(wire) as ProcessingRequest;
      assert.deepEqual(processingFields(ours), processingFields(theirs));
      // The lookup the adapter uses (values decoded on first read) finds what headerRecord finds in proto-loader's map.
      const mapOf = (p: ProcessingRequest) => (p.request_headers ?? p.response_headers)?.headers;
      const record = headerRecord(mapOf(theirs));
      const lookup = headerLookup(mapOf(ours));
      for (const name of [...Object.keys(record), 'absent']) assert.equal(lookup(name), record[name]);
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

test('a header name repeated in the Check map: the last entry wins, as proto-loader decodes it', () => {
  const entry = (k: string, v: string) => field(3, Buffer.concat([field(1, k), field(2, v)]));
  const wire = field(1, field(4, field(2, Buffer.concat([entry('k', 'v1'), entry('x', 'y'), entry('k', 'v2')]))));
  const theirs = check.requestDeserialize(wire) as CheckRequest;
  const ours = decodeCheckRequest(wire).attributes?.request?.http;
  assert.equal(theirs.attributes?.request?.http?.headers?.k, 'v2');
  assert.equal(ours?.header?.('k'), 'v2');
  assert.deepEqual({ ...ours?.headers }, { ...theirs.attributes?.request?.http?.headers });
});

test('a Struct nested past the depth guard is refused with an Error, not a stack overflow', () => {
  let value = field(3, 'x');
  for (let i = 0; i < 5000; i++) value = field(5, field(1, Buffer.concat([field(1, 'k'), field(2, value)])));
  const entry = field(1, Buffer.concat([field(1, EXT_AUTHZ_NAMESPACE), field(2, field(1, Buffer.concat([field(1, 'k'), field(2, value)])))]));
  const wire = Buffer.concat([field(4, ''), field(8, entry)]);
  assert.throws(() => decodeProcessingRequest(wire), /nested deeper/);
});

// ---- replies ---------------------------------------------------------------------------------

const headerOption = fc.record(
  {
    header: fc.record({ key: headerName, value: text, raw_value: bytes }, { requiredKeys: ['key'] }),
    append: fc.record({ value: fc.boolean() }),
    append_action: fc.constantFrom('APPEND_IF_EXISTS_OR_ADD', 'ADD_IF_ABSENT', 'OVERWRITE_IF_EXISTS_OR_ADD', 'OVERWRITE_IF_EXISTS'),
    keep_empty_value: fc.boolean(),
  },
  { requiredKeys: ['header'] },
);
const mutation = fc.record({ set_headers: fc.array(headerOption, { maxLength: 4 }), remove_headers: fc.array(headerName, { maxLength: 3 }) }, { requiredKeys: [] });
const httpStatus = fc.record({ code: fc.oneof(fc.constantFrom('OK', 'Forbidden', 'Unauthorized', 'NotFound', 'TooManyRequests'), fc.constantFrom(200, 401, 403, 404, 413, 429, 503)) });
const checkResponseArb = fc.record(
  {
    status: fc.record({ code: fc.integer({ min: -3, max: 16 }), message: text }, { requiredKeys: [] }),
    ok_response: fc.record({ headers: fc.array(headerOption, { maxLength: 4 }), headers_to_remove: fc.array(headerName, { maxLength: 3 }), response_headers_to_add: fc.array(headerOption, { maxLength: 2 }) }, { requiredKeys: [] }),
    denied_response: fc.record({ status: httpStatus, headers: fc.array(headerOption, { maxLength: 3 }), body: text }, { requiredKeys: [] }),
    dynamic_metadata: structArb,
  },
  { requiredKeys: [] },
);
const common = fc.record(
  {
    status: fc.constantFrom('CONTINUE', 'CONTINUE_AND_REPLACE'),
    header_mutation: mutation,
    body_mutation: fc.oneof(fc.record({ body: bytes }), fc.record({ clear_body: fc.boolean() })),
    clear_route_cache: fc.boolean(),
  },
  { requiredKeys: [] },
);
const bodyMode = fc.constantFrom('NONE', 'STREAMED', 'BUFFERED', 'BUFFERED_PARTIAL', 'FULL_DUPLEX_STREAMED');
const headerMode = fc.constantFrom('DEFAULT', 'SEND', 'SKIP');
const processingResponseArb = fc
  .tuple(
    fc.oneof(
      ...(['request_headers', 'response_headers', 'request_body', 'response_body'] as const).map((k) => fc.record({ response: fc.constant(k), [k]: fc.record({ response: common }, { requiredKeys: [] }) })),
      ...(['request_trailers', 'response_trailers'] as const).map((k) => fc.record({ response: fc.constant(k), [k]: fc.record({ header_mutation: mutation }, { requiredKeys: [] }) })),
      fc.record({ response: fc.constant('immediate_response'), immediate_response: fc.record({ status: httpStatus, headers: mutation, body: bytes, details: text }, { requiredKeys: ['status'] }) }),
    ),
    fc.record(
      {
        dynamic_metadata: structArb,
        mode_override: fc.record({ request_header_mode: headerMode, response_header_mode: headerMode, request_body_mode: bodyMode, response_body_mode: bodyMode, request_trailer_mode: headerMode, response_trailer_mode: headerMode }, { requiredKeys: [] }),
      },
      { requiredKeys: [] },
    ),
  )
  .map(([reply, rest]) => ({ ...reply, ...rest }));

test('replies: mcpgw writes the bytes protobufjs writes, for any CheckResponse and ProcessingResponse', () => {
  const served = envoyServiceDefinitions();
  const sameBytes = (ours: (v: unknown) => Buffer, theirs: (v: unknown) => Buffer) => (m: unknown) => assert.deepEqual(ours(m).toString('hex'), theirs(m).toString('hex'));
  fc.assert(fc.property(checkResponseArb, sameBytes(served.authorization.Check!.responseSerialize, check.responseSerialize)), { numRuns: 1500 });
  fc.assert(fc.property(processingResponseArb, sameBytes(served.externalProcessor.Process!.responseSerialize, process_.responseSerialize)), { numRuns: 1500 });
});

test('replies the encoder leaves to proto-loader (a string for bytes, an unknown enum name) come out as proto-loader writes them', () => {
  const served = envoyServiceDefinitions();
  const ours = served.externalProcessor.Process!.responseSerialize;
  for (const odd of [{ immediate_response: { status: { code: 403 }, body: 'aGk=' } }, { request_headers: { response: { status: 'NOT_A_STATUS' } } }, { dynamic_metadata: { fields: { n: { numberValue: '1' } } } }]) {
    assert.equal(ours(odd).toString('hex'), process_.responseSerialize(odd).toString('hex'));
  }
  assert.throws(() => ours({ request_headers: { response: { header_mutation: { set_headers: 'x' } } } }));
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
