// Request decoders for the two hot calls (CheckRequest, ProcessingRequest): they read only the fields
// mcpgw uses, straight into the plain shapes @grpc/proto-loader delivers with PROTO_LOADER_OPTIONS
// (messages.ts), and skip the rest of the wire unread; header values are decoded when first read.
// proto-loader decodes every field into message instances and then copies them into plain objects
// (issue 15: 9 % of a cached-token Check's busy time, and a share of its garbage).
// test/unit/envoy-codecs.properties.test.ts holds them to proto-loader's output for every field they read.
import { createRequire } from 'node:module';
import type * as Protobuf from 'protobufjs/minimal.js';
import type { CheckRequest, HeaderList, HeaderMap, HeaderValue, HttpBody, HttpHeaders, HttpTrailers, ProcessingRequest, ProtoStruct, ProtoValue } from './messages.js';
import { EXT_AUTHZ_NAMESPACE, EXT_PROC_ATTRIBUTES_NAMESPACE } from './metadata.js';

// Required, not imported: an ES import of protobufjs alone added 5 MB to mcpgw's idle RSS
// (docs/performance.md); required, it costs nothing beside proto-loader's copy.
const { Reader } = createRequire(import.meta.url)('protobufjs/minimal') as typeof Protobuf;
type Reader = Protobuf.Reader;
type Utf8Buffer = Buffer & { utf8Slice(start: number, end: number): string };
type Latin1Buffer = Buffer & { latin1Slice(start: number, end: number): string };

const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;

/** Nested Structs deeper than this are refused rather than decoded (a stack-depth guard). */
const MAX_STRUCT_DEPTH = 64;

/** Thrown for bytes that are not the message; grpc-js answers the call with INTERNAL "Error deserializing request". */
export class MalformedMessage extends Error {}

// Each message is read by a loop over its fields that switches on the whole tag (field number << 3 |
// wire type), so a field with an unexpected wire type is skipped like an unknown one. No callbacks:
// a closure per field was most of the decoders' garbage.

/** The next field's tag; field number 0 is not a field. */
function nextTag(r: Reader): number {
  const tag = r.uint32();
  if (tag >>> 3 === 0) throw new MalformedMessage(`field number 0 at offset ${r.pos}`);
  return tag;
}

/** The end of a length-delimited field starting at the reader's position, checked against `end`. */
function fieldEnd(r: Reader, end: number): number {
  const len = r.uint32();
  const to = r.pos + len;
  if (to > end) throw new MalformedMessage(`length ${len} at offset ${r.pos} runs past its message`);
  return to;
}

/** Steps over a length-delimited field; returns where its bytes start (they end at the reader's position). */
function passOver(r: Reader, end: number): number {
  const to = fieldEnd(r, end);
  const from = r.pos;
  r.pos = to;
  return from;
}

function skip(r: Reader, tag: number, end: number): void {
  const wire = tag & 7;
  if (wire === LEN) r.pos = fieldEnd(r, end);
  else r.skipType(wire);
}

/** A message's last field must end exactly where the message does. */
function ended(r: Reader, end: number): void {
  if (r.pos !== end) throw new MalformedMessage('a field runs past its message');
}

function text(r: Reader, end: number): string {
  const to = fieldEnd(r, end);
  // utf8Slice skips toString's argument checks (protobufjs reads strings the same way).
  const s = (r.buf as Utf8Buffer).utf8Slice(r.pos, to);
  r.pos = to;
  return s;
}

function bytes(r: Reader, end: number): Buffer {
  const to = fieldEnd(r, end);
  const buf = r.buf as Buffer;
  // A view, as protobufjs gives it: the body is read once and never kept past the request.
  const b = buf.subarray(r.pos, to);
  r.pos = to;
  return b;
}

// ---- google.protobuf.Struct ------------------------------------------------------------------

function struct(r: Reader, end: number, depth: number): ProtoStruct {
  if (depth > MAX_STRUCT_DEPTH) throw new MalformedMessage(`Struct nested deeper than ${MAX_STRUCT_DEPTH}`);
  const s: ProtoStruct = {};
  while (r.pos < end) {
    const tag = nextTag(r);
    if (tag !== ((1 << 3) | LEN)) {
      skip(r, tag, end);
      continue;
    }
    const to = fieldEnd(r, end);
    let key = '';
    let value: ProtoValue | undefined;
    while (r.pos < to) {
      const t = nextTag(r);
      if (t === ((1 << 3) | LEN)) key = text(r, to);
      else if (t === ((2 << 3) | LEN)) {
        const until = fieldEnd(r, to);
        value = protoValue(r, until, depth);
      } else skip(r, t, to);
    }
    ended(r, to);
    // No prototype: a key named "__proto__" is just a key.
    (s.fields ??= Object.create(null) as Record<string, ProtoValue>)[key] = value ?? {};
  }
  ended(r, end);
  return s;
}

const NULL_VALUE = ['NULL_VALUE'];

function protoValue(r: Reader, end: number, depth: number): ProtoValue {
  const v: ProtoValue = {};
  while (r.pos < end) {
    const tag = nextTag(r);
    switch (tag) {
      case (1 << 3) | VARINT:
        v.nullValue = NULL_VALUE[r.int32()] ?? 'NULL_VALUE';
        v.kind = 'nullValue';
        break;
      case (2 << 3) | FIXED64:
        v.numberValue = r.double();
        v.kind = 'numberValue';
        break;
      case (3 << 3) | LEN:
        v.stringValue = text(r, end);
        v.kind = 'stringValue';
        break;
      case (4 << 3) | VARINT:
        v.boolValue = r.bool();
        v.kind = 'boolValue';
        break;
      case (5 << 3) | LEN: {
        const to = fieldEnd(r, end);
        v.structValue = struct(r, to, depth + 1);
        v.kind = 'structValue';
        break;
      }
      case (6 << 3) | LEN: {
        const to = fieldEnd(r, end);
        v.listValue = listValue(r, to, depth + 1);
        v.kind = 'listValue';
        break;
      }
      default:
        skip(r, tag, end);
    }
  }
  ended(r, end);
  return v;
}

function listValue(r: Reader, end: number, depth: number): NonNullable<ProtoValue['listValue']> {
  const l: NonNullable<ProtoValue['listValue']> = {};
  while (r.pos < end) {
    const tag = nextTag(r);
    if (tag === ((1 << 3) | LEN)) (l.values ??= []).push(protoValue(r, fieldEnd(r, end), depth));
    else skip(r, tag, end);
  }
  ended(r, end);
  return l;
}

/**
 * One entry of a map<string, Struct>, kept only when its key is `wanted` (the others are skipped
 * unread). An entry's value may come before its key, so the value's bytes are decoded once the key is known.
 */
function structMapEntry(r: Reader, end: number, into: Record<string, ProtoStruct>, wanted: string): void {
  const to = fieldEnd(r, end);
  let key = '';
  let from = -1;
  let until = -1;
  while (r.pos < to) {
    const tag = nextTag(r);
    if (tag === ((1 << 3) | LEN)) key = text(r, to);
    else if (tag === ((2 << 3) | LEN)) (from = passOver(r, to)), (until = r.pos);
    else skip(r, tag, to);
  }
  ended(r, to);
  if (key !== wanted) return;
  if (from < 0) {
    into[key] = {};
    return;
  }
  r.pos = from;
  into[key] = struct(r, until, 0);
  r.pos = to;
}

// ---- ext_authz CheckRequest ------------------------------------------------------------------

type Attributes = NonNullable<CheckRequest['attributes']>;
type Http = NonNullable<NonNullable<Attributes['request']>['http']>;

/**
 * Strings of a message kept as their places and decoded when first read: mcpgw reads a handful of a
 * request's headers, and the largest (a bearer token) once.
 */
class LazyStrings {
  /** Per string: [from, to) in the message, and 1 when its bytes are Latin-1 (else UTF-8). */
  private readonly spans: number[] = [];
  private readonly cache: Array<string | undefined> = [];

  constructor(private readonly buf: Utf8Buffer & Latin1Buffer) {}

  push(from: number, to: number, latin1: boolean): void {
    this.spans.push(from, to, latin1 ? 1 : 0);
  }

  at(i: number): string {
    const cached = this.cache[i];
    if (cached !== undefined) return cached;
    const from = this.spans[3 * i] as number;
    const to = this.spans[3 * i + 1] as number;
    return (this.cache[i] = this.spans[3 * i + 2] ? this.buf.latin1Slice(from, to) : this.buf.utf8Slice(from, to));
  }
}

/**
 * The HTTP request of a CheckRequest, its header map kept as names and lazily decoded values;
 * `headers` builds the whole record only if something asks.
 */
class CheckHttp implements Http {
  method?: string;
  path?: string;
  host?: string;
  body?: string;
  raw_body?: Buffer;
  private readonly names: string[] = [];
  private readonly values: LazyStrings;

  constructor(buf: Utf8Buffer & Latin1Buffer) {
    this.values = new LazyStrings(buf);
  }

  add(name: string, from: number, to: number): void {
    this.names.push(name);
    this.values.push(from, to, false);
  }

  /** The value of a header name as the map holds it: the last entry with that name wins, as in a decoded map. */
  readonly header = (name: string): string | undefined => {
    for (let i = this.names.length - 1; i >= 0; i--) if (this.names[i] === name) return this.values.at(i);
    return undefined;
  };

  get headers(): Record<string, string> | undefined {
    if (this.names.length === 0) return undefined;
    // No prototype: a header named "constructor" or "__proto__" is just a header.
    const record = Object.create(null) as Record<string, string>;
    for (let i = 0; i < this.names.length; i++) record[this.names[i] as string] = this.values.at(i);
    return record;
  }
}

/** One entry of the header map: its name decoded, its value's place kept. */
function headerEntry(r: Reader, end: number, into: CheckHttp): void {
  const to = fieldEnd(r, end);
  let name = '';
  let from = 0;
  let until = 0;
  while (r.pos < to) {
    const tag = nextTag(r);
    if (tag === ((1 << 3) | LEN)) name = text(r, to);
    else if (tag === ((2 << 3) | LEN)) (from = passOver(r, to)), (until = r.pos);
    else skip(r, tag, to);
  }
  ended(r, to);
  into.add(name, from, until);
}

function httpRequest(r: Reader, end: number): Http {
  const h = new CheckHttp(r.buf as Utf8Buffer & Latin1Buffer);
  while (r.pos < end) {
    const tag = nextTag(r);
    switch (tag) {
      case (2 << 3) | LEN:
        h.method = text(r, end);
        break;
      case (3 << 3) | LEN:
        headerEntry(r, end, h);
        break;
      case (4 << 3) | LEN:
        h.path = text(r, end);
        break;
      case (5 << 3) | LEN:
        h.host = text(r, end);
        break;
      case (11 << 3) | LEN:
        h.body = text(r, end);
        break;
      case (12 << 3) | LEN:
        h.raw_body = bytes(r, end);
        break;
      default:
        skip(r, tag, end);
    }
  }
  ended(r, end);
  return h;
}

function peerPrincipal(r: Reader, end: number): NonNullable<Attributes['source']> {
  const p: NonNullable<Attributes['source']> = {};
  while (r.pos < end) {
    const tag = nextTag(r);
    if (tag === ((4 << 3) | LEN)) p.principal = text(r, end);
    else skip(r, tag, end);
  }
  ended(r, end);
  return p;
}

function attributeRequest(r: Reader, end: number): NonNullable<Attributes['request']> {
  const req: NonNullable<Attributes['request']> = {};
  while (r.pos < end) {
    const tag = nextTag(r);
    if (tag === ((2 << 3) | LEN)) req.http = httpRequest(r, fieldEnd(r, end));
    else skip(r, tag, end);
  }
  ended(r, end);
  return req;
}

function attributeContext(r: Reader, end: number): Attributes {
  const a: Attributes = {};
  while (r.pos < end) {
    const tag = nextTag(r);
    if (tag === ((1 << 3) | LEN)) a.source = peerPrincipal(r, fieldEnd(r, end));
    else if (tag === ((4 << 3) | LEN)) a.request = attributeRequest(r, fieldEnd(r, end));
    else skip(r, tag, end);
  }
  ended(r, end);
  return a;
}

/**
 * CheckRequest with what checkRequestView reads: the source principal and the HTTP request's method,
 * headers, path, host and body. The rest (addresses, context extensions, metadata, TLS) is skipped.
 */
export function decodeCheckRequest(buf: Buffer): CheckRequest {
  const r = Reader.create(buf);
  const m: CheckRequest = {};
  while (r.pos < r.len) {
    const tag = nextTag(r);
    if (tag === ((1 << 3) | LEN)) m.attributes = attributeContext(r, fieldEnd(r, r.len));
    else skip(r, tag, r.len);
  }
  ended(r, r.len);
  return m;
}

// ---- ext_proc ProcessingRequest --------------------------------------------------------------

/**
 * An ext_proc HeaderMap kept as names and lazily decoded values (headerLookup reads a handful);
 * `headers` builds HeaderValues only if something asks.
 */
class ProcHeaderMap implements HeaderMap, HeaderList {
  readonly names: string[] = [];
  private readonly values: LazyStrings;

  constructor(buf: Utf8Buffer & Latin1Buffer) {
    this.values = new LazyStrings(buf);
  }

  get list(): HeaderList {
    return this;
  }

  get headers(): HeaderValue[] | undefined {
    return this.names.length ? this.names.map((key, i) => ({ key, value: this.valueAt(i) })) : undefined;
  }

  add(name: string, from: number, to: number, latin1: boolean): void {
    this.names.push(name);
    this.values.push(from, to, latin1);
  }

  valueAt(i: number): string {
    return this.values.at(i);
  }
}

/**
 * One HeaderValue: its name decoded and the place of its text, as headerValueText reads it: `raw_value`
 * (Latin-1) when set and not empty, else `value` (the last of each wins).
 */
function headerValue(r: Reader, end: number, into: ProcHeaderMap): void {
  let key = '';
  let valueFrom = 0;
  let valueTo = 0;
  let rawFrom = 0;
  let rawTo = 0;
  while (r.pos < end) {
    const tag = nextTag(r);
    if (tag === ((1 << 3) | LEN)) key = text(r, end);
    else if (tag === ((2 << 3) | LEN)) (valueFrom = passOver(r, end)), (valueTo = r.pos);
    else if (tag === ((3 << 3) | LEN)) (rawFrom = passOver(r, end)), (rawTo = r.pos);
    else skip(r, tag, end);
  }
  ended(r, end);
  if (rawTo > rawFrom) into.add(key, rawFrom, rawTo, true);
  else into.add(key, valueFrom, valueTo, false);
}

function headerMap(r: Reader, end: number): HeaderMap {
  const m = new ProcHeaderMap(r.buf as Utf8Buffer & Latin1Buffer);
  while (r.pos < end) {
    const tag = nextTag(r);
    if (tag === ((1 << 3) | LEN)) headerValue(r, fieldEnd(r, end), m);
    else skip(r, tag, end);
  }
  ended(r, end);
  return m;
}

function httpHeaders(r: Reader, end: number): HttpHeaders {
  const h: HttpHeaders = {};
  while (r.pos < end) {
    const tag = nextTag(r);
    if (tag === ((1 << 3) | LEN)) h.headers = headerMap(r, fieldEnd(r, end));
    else if (tag === ((3 << 3) | VARINT)) h.end_of_stream = r.bool();
    else skip(r, tag, end);
  }
  ended(r, end);
  return h;
}

function httpBody(r: Reader, end: number): HttpBody {
  const b: HttpBody = {};
  while (r.pos < end) {
    const tag = nextTag(r);
    if (tag === ((1 << 3) | LEN)) b.body = bytes(r, end);
    else if (tag === ((2 << 3) | VARINT)) b.end_of_stream = r.bool();
    else skip(r, tag, end);
  }
  ended(r, end);
  return b;
}

function httpTrailers(r: Reader, end: number): HttpTrailers {
  const t: HttpTrailers = {};
  while (r.pos < end) {
    const tag = nextTag(r);
    if (tag === ((1 << 3) | LEN)) t.trailers = headerMap(r, fieldEnd(r, end));
    else skip(r, tag, end);
  }
  ended(r, end);
  return t;
}

function metadata(r: Reader, end: number): NonNullable<ProcessingRequest['metadata_context']> {
  const md: NonNullable<ProcessingRequest['metadata_context']> = {};
  while (r.pos < end) {
    const tag = nextTag(r);
    if (tag === ((1 << 3) | LEN)) structMapEntry(r, end, (md.filter_metadata ??= {}), EXT_AUTHZ_NAMESPACE);
    else skip(r, tag, end);
  }
  ended(r, end);
  return md;
}

type MessageKind = NonNullable<ProcessingRequest['request']>;

/** The `request` oneof: its field tags, the name each sets, and how each is read. */
const MESSAGE_FIELDS: Record<number, { kind: MessageKind; read: (r: Reader, end: number) => unknown } | undefined> = {
  [(2 << 3) | LEN]: { kind: 'request_headers', read: httpHeaders },
  [(3 << 3) | LEN]: { kind: 'response_headers', read: httpHeaders },
  [(4 << 3) | LEN]: { kind: 'request_body', read: httpBody },
  [(5 << 3) | LEN]: { kind: 'response_body', read: httpBody },
  [(6 << 3) | LEN]: { kind: 'request_trailers', read: httpTrailers },
  [(7 << 3) | LEN]: { kind: 'response_trailers', read: httpTrailers },
};

/**
 * ProcessingRequest with what the ext_proc adapter reads: the message (headers, body or trailers, and
 * the `request` oneof naming it), ext_authz's forwarded metadata, and ext_proc's own attributes.
 * Other metadata namespaces and attribute keys (Istio sends several, large) are skipped unread.
 * Header maps decode their values when read (ProcHeaderMap).
 */
export function decodeProcessingRequest(buf: Buffer): ProcessingRequest {
  const r = Reader.create(buf);
  const m: ProcessingRequest = {};
  const end = r.len;
  while (r.pos < end) {
    const tag = nextTag(r);
    const message = MESSAGE_FIELDS[tag];
    if (message) {
      m.request = message.kind;
      (m as Record<string, unknown>)[message.kind] = message.read(r, fieldEnd(r, end));
      continue;
    }
    switch (tag) {
      case (8 << 3) | LEN:
        m.metadata_context = metadata(r, fieldEnd(r, end));
        break;
      case (9 << 3) | LEN:
        structMapEntry(r, end, (m.attributes ??= {}), EXT_PROC_ATTRIBUTES_NAMESPACE);
        break;
      default:
        skip(r, tag, end);
    }
  }
  ended(r, end);
  return m;
}
