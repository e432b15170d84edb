// Request decoders for the two hot calls (CheckRequest, ProcessingRequest): they read only the fields
// mcpgw uses, straight into the plain shapes @grpc/proto-loader delivers with PROTO_LOADER_OPTIONS
// (messages.ts), and skip the rest of the wire unread. proto-loader decodes every field into message
// instances and then copies them into plain objects (issue 15: 9 % of a cached-token Check's busy
// time, and a share of its garbage). test/unit/envoy-codecs.properties.test.ts holds them to
// proto-loader's output for every field they read.
import { createRequire } from 'node:module';
import type * as Protobuf from 'protobufjs/minimal.js';
import type { CheckRequest, HeaderMap, HeaderValue, HttpBody, HttpHeaders, HttpTrailers, ProcessingRequest, ProtoStruct, ProtoValue } from './messages.js';
import { EXT_AUTHZ_NAMESPACE, EXT_PROC_ATTRIBUTES_NAMESPACE } from './metadata.js';

// Required, not imported: an ES import of protobufjs alone added 5 MB to mcpgw's idle RSS
// (docs/performance.md); required, it costs nothing beside proto-loader's copy.
const { Reader } = createRequire(import.meta.url)('protobufjs/minimal') as typeof Protobuf;
type Reader = Protobuf.Reader;
type Utf8Buffer = Buffer & { utf8Slice(start: number, end: number): string };

const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;

/** Nested Structs deeper than this are refused rather than decoded (a stack-depth guard). */
const MAX_STRUCT_DEPTH = 64;

/** Thrown for bytes that are not the message; grpc-js answers the call with INTERNAL "Error deserializing request". */
export class MalformedMessage extends Error {}

/** The end of a length-delimited field starting at the reader's position, checked against `end`. */
function fieldEnd(r: Reader, end: number): number {
  const len = r.uint32();
  const to = r.pos + len;
  if (to > end) throw new MalformedMessage(`length ${len} at offset ${r.pos} runs past its message`);
  return to;
}

function skip(r: Reader, wire: number, end: number): void {
  if (wire === LEN) r.pos = fieldEnd(r, end);
  else r.skipType(wire);
}

/** Runs `field` for each field of the message ending at `end`; it returns false for a field it skips. */
function fields(r: Reader, end: number, field: (no: number, wire: number) => boolean): void {
  while (r.pos < end) {
    const tag = r.uint32();
    const no = tag >>> 3;
    const wire = tag & 7;
    if (no === 0) throw new MalformedMessage(`field number 0 at offset ${r.pos}`);
    if (!field(no, wire)) skip(r, wire, end);
  }
  if (r.pos !== end) throw new MalformedMessage('a field runs past its message');
}

/** A submessage field: decodes it with `read` and checks it ended where its length said. */
function sub<T>(r: Reader, end: number, read: (r: Reader, end: number) => T): T {
  const to = fieldEnd(r, end);
  const v = read(r, to);
  r.pos = to;
  return v;
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
  fields(r, end, (no, wire) => {
    if (no !== 1 || wire !== LEN) return false;
    const to = fieldEnd(r, end);
    let key = '';
    let value: ProtoValue | undefined;
    fields(r, to, (n, w) => {
      if (w !== LEN) return false;
      if (n === 1) key = text(r, to);
      else if (n === 2) value = sub(r, to, (rr, e) => protoValue(rr, e, depth));
      else return false;
      return true;
    });
    // No prototype: a key named "__proto__" is just a key.
    (s.fields ??= Object.create(null) as Record<string, ProtoValue>)[key] = value ?? {};
    return true;
  });
  return s;
}

const NULL_VALUE = ['NULL_VALUE'];

function protoValue(r: Reader, end: number, depth: number): ProtoValue {
  const v: ProtoValue = {};
  fields(r, end, (no, wire) => {
    switch (no) {
      case 1:
        if (wire !== VARINT) return false;
        v.nullValue = NULL_VALUE[r.int32()] ?? 'NULL_VALUE';
        v.kind = 'nullValue';
        return true;
      case 2:
        if (wire !== FIXED64) return false;
        v.numberValue = r.double();
        v.kind = 'numberValue';
        return true;
      case 3:
        if (wire !== LEN) return false;
        v.stringValue = text(r, end);
        v.kind = 'stringValue';
        return true;
      case 4:
        if (wire !== VARINT) return false;
        v.boolValue = r.bool();
        v.kind = 'boolValue';
        return true;
      case 5:
        if (wire !== LEN) return false;
        v.structValue = sub(r, end, (rr, e) => struct(rr, e, depth + 1));
        v.kind = 'structValue';
        return true;
      case 6:
        if (wire !== LEN) return false;
        v.listValue = sub(r, end, (rr, e) => listValue(rr, e, depth + 1));
        v.kind = 'listValue';
        return true;
      default:
        return false;
    }
  });
  return v;
}

function listValue(r: Reader, end: number, depth: number): NonNullable<ProtoValue['listValue']> {
  const l: NonNullable<ProtoValue['listValue']> = {};
  fields(r, end, (no, wire) => {
    if (no !== 1 || wire !== LEN) return false;
    (l.values ??= []).push(sub(r, end, (rr, e) => protoValue(rr, e, depth)));
    return true;
  });
  return l;
}

/**
 * map<string, Struct> keeping only the entries named in `wanted` (the others are skipped unread).
 * An entry's value may come before its key, so the value's bytes are decoded once the key is known.
 */
function structMapEntry(r: Reader, end: number, into: Record<string, ProtoStruct>, wanted: string): void {
  const to = fieldEnd(r, end);
  let key = '';
  let from = -1;
  let until = -1;
  fields(r, to, (n, w) => {
    if (w !== LEN) return false;
    if (n === 1) key = text(r, to);
    else if (n === 2) (until = fieldEnd(r, to)), (from = r.pos), (r.pos = until);
    else return false;
    return true;
  });
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

type Http = NonNullable<NonNullable<NonNullable<CheckRequest['attributes']>['request']>['http']>;

function stringMapEntry(r: Reader, end: number, into: Record<string, string>): void {
  const to = fieldEnd(r, end);
  let key = '';
  let value = '';
  fields(r, to, (n, w) => {
    if (w !== LEN) return false;
    if (n === 1) key = text(r, to);
    else if (n === 2) value = text(r, to);
    else return false;
    return true;
  });
  into[key] = value;
}

function httpRequest(r: Reader, end: number): Http {
  const h: Http = {};
  fields(r, end, (no, wire) => {
    if (wire !== LEN) return false;
    switch (no) {
      case 2:
        h.method = text(r, end);
        return true;
      case 3:
        // No prototype: a header named "constructor" or "__proto__" is just a header.
        stringMapEntry(r, end, (h.headers ??= Object.create(null) as Record<string, string>));
        return true;
      case 4:
        h.path = text(r, end);
        return true;
      case 5:
        h.host = text(r, end);
        return true;
      case 11:
        h.body = text(r, end);
        return true;
      case 12:
        h.raw_body = bytes(r, end);
        return true;
      default:
        return false;
    }
  });
  return h;
}

type Attributes = NonNullable<CheckRequest['attributes']>;

function peerPrincipal(r: Reader, end: number): NonNullable<Attributes['source']> {
  const p: NonNullable<Attributes['source']> = {};
  fields(r, end, (no, wire) => {
    if (no !== 4 || wire !== LEN) return false;
    p.principal = text(r, end);
    return true;
  });
  return p;
}

function attributeContext(r: Reader, end: number): Attributes {
  const a: Attributes = {};
  fields(r, end, (no, wire) => {
    if (wire !== LEN) return false;
    if (no === 1) a.source = sub(r, end, peerPrincipal);
    else if (no === 4)
      a.request = sub(r, end, (rr, e) => {
        const req: NonNullable<Attributes['request']> = {};
        fields(rr, e, (n, w) => {
          if (n !== 2 || w !== LEN) return false;
          req.http = sub(rr, e, httpRequest);
          return true;
        });
        return req;
      });
    else return false;
    return true;
  });
  return a;
}

/**
 * CheckRequest with what checkRequestView reads: the source principal and the HTTP request's method,
 * headers, path, host and body. The rest (addresses, context extensions, metadata, TLS) is skipped.
 */
export function decodeCheckRequest(buf: Buffer): CheckRequest {
  const r = Reader.create(buf);
  const m: CheckRequest = {};
  fields(r, r.len, (no, wire) => {
    if (no !== 1 || wire !== LEN) return false;
    m.attributes = sub(r, r.len, attributeContext);
    return true;
  });
  return m;
}

// ---- ext_proc ProcessingRequest --------------------------------------------------------------

function headerValue(r: Reader, end: number): HeaderValue {
  const h = {} as HeaderValue;
  fields(r, end, (no, wire) => {
    if (wire !== LEN) return false;
    if (no === 1) h.key = text(r, end);
    else if (no === 2) h.value = text(r, end);
    else if (no === 3) h.raw_value = bytes(r, end);
    else return false;
    return true;
  });
  return h;
}

function headerMap(r: Reader, end: number): HeaderMap {
  const m: HeaderMap = {};
  fields(r, end, (no, wire) => {
    if (no !== 1 || wire !== LEN) return false;
    (m.headers ??= []).push(sub(r, end, headerValue));
    return true;
  });
  return m;
}

function httpHeaders(r: Reader, end: number): HttpHeaders {
  const h: HttpHeaders = {};
  fields(r, end, (no, wire) => {
    if (no === 1 && wire === LEN) h.headers = sub(r, end, headerMap);
    else if (no === 3 && wire === VARINT) h.end_of_stream = r.bool();
    else return false;
    return true;
  });
  return h;
}

function httpBody(r: Reader, end: number): HttpBody {
  const b: HttpBody = {};
  fields(r, end, (no, wire) => {
    if (no === 1 && wire === LEN) b.body = bytes(r, end);
    else if (no === 2 && wire === VARINT) b.end_of_stream = r.bool();
    else return false;
    return true;
  });
  return b;
}

function httpTrailers(r: Reader, end: number): HttpTrailers {
  const t: HttpTrailers = {};
  fields(r, end, (no, wire) => {
    if (no !== 1 || wire !== LEN) return false;
    t.trailers = sub(r, end, headerMap);
    return true;
  });
  return t;
}

const KINDS = [undefined, undefined, 'request_headers', 'response_headers', 'request_body', 'response_body', 'request_trailers', 'response_trailers'] as const;

/**
 * ProcessingRequest with what the ext_proc adapter reads: the message (headers, body or trailers, and
 * the `request` oneof naming it), ext_authz's forwarded metadata, and ext_proc's own attributes.
 * Other metadata namespaces and attribute keys (Istio sends several, large) are skipped unread.
 */
export function decodeProcessingRequest(buf: Buffer): ProcessingRequest {
  const r = Reader.create(buf);
  const m: ProcessingRequest = {};
  const end = r.len;
  fields(r, end, (no, wire) => {
    if (wire !== LEN) return false;
    switch (no) {
      case 2:
      case 3:
        m.request = KINDS[no];
        m[KINDS[no]] = sub(r, end, httpHeaders);
        return true;
      case 4:
      case 5:
        m.request = KINDS[no];
        m[KINDS[no]] = sub(r, end, httpBody);
        return true;
      case 6:
      case 7:
        m.request = KINDS[no];
        m[KINDS[no]] = sub(r, end, httpTrailers);
        return true;
      case 8:
        m.metadata_context = sub(r, end, (rr, e) => {
          const md: NonNullable<ProcessingRequest['metadata_context']> = {};
          fields(rr, e, (n, w) => {
            if (n !== 1 || w !== LEN) return false;
            structMapEntry(rr, e, (md.filter_metadata ??= {}), EXT_AUTHZ_NAMESPACE);
            return true;
          });
          return md;
        });
        return true;
      case 9:
        structMapEntry(r, end, (m.attributes ??= {}), EXT_PROC_ATTRIBUTES_NAMESPACE);
        return true;
      default:
        return false;
    }
  });
  return m;
}
