// Reply encoders for the two hot calls (CheckResponse, ProcessingResponse), driven by the message
// descriptors @grpc/proto-loader already loaded: the plain reply objects mcpgw builds (messages.ts)
// are written straight into one Buffer, sized first, instead of protobufjs's fromObject (a message
// instance per object) and its chunked writer. The bytes are protobufjs's, field for field
// (test/unit/envoy-codecs.properties.test.ts); a value the encoder does not know how to write (a
// string for bytes, an unknown enum name) falls back to proto-loader's serializer for that reply.
import type { PackageDefinition } from '@grpc/proto-loader';

type Utf8Buffer = Buffer & { utf8Write(s: string, offset: number, length: number): number };

/** A field as the encoder needs it: number, how it is written, and for messages / enums what they are. */
interface Field {
  name: string;
  tag: number;
  kind: Kind;
  repeated: boolean;
  /** Message fields (and map values of message type). */
  message?: MessageCodec;
  /** Enum fields: name → number. */
  values?: Map<string, number>;
  /** Map fields: the entry's key and value fields. */
  entry?: { key: Field; value: Field };
}

/** `other`: int64, float, fixed…, which mcpgw's replies never set; a reply that does goes to proto-loader. */
type Kind = 'message' | 'string' | 'bytes' | 'bool' | 'int32' | 'uint32' | 'enum' | 'double' | 'map' | 'other';

interface MessageCodec {
  fields: Field[];
  /** Generated per message (generate()): reads each field by its own name, so every read site sees one message's objects. */
  size(m: Record<string, unknown>, s: Sizes): number;
  write(o: Out, m: Record<string, unknown>): void;
}

/** A value this encoder leaves to proto-loader. */
class Unsupported extends Error {}

const WIRE: Record<Kind, number> = { message: 2, string: 2, bytes: 2, bool: 0, int32: 0, uint32: 0, enum: 0, double: 1, map: 2, other: 0 };
const SCALARS: Record<string, Kind> = { TYPE_STRING: 'string', TYPE_BYTES: 'bytes', TYPE_BOOL: 'bool', TYPE_INT32: 'int32', TYPE_UINT32: 'uint32', TYPE_ENUM: 'enum', TYPE_DOUBLE: 'double', TYPE_MESSAGE: 'message' };

interface DescriptorField {
  name: string;
  number: number;
  label: string;
  type: string;
  typeName: string;
}
interface Descriptor {
  name: string;
  field: DescriptorField[];
  nestedType: Descriptor[];
  enumType: Array<{ name: string; value: Array<{ name: string; number: number }> }>;
  options?: { mapEntry?: boolean } | null;
}

/** Every message and enum of the package definition by full name, nested ones included. */
function index(def: PackageDefinition): { messages: Map<string, Descriptor>; enums: Map<string, Map<string, number>> } {
  const messages = new Map<string, Descriptor>();
  const enums = new Map<string, Map<string, number>>();
  const enumOf = (values: Array<{ name: string; number: number }>) => new Map(values.map((v) => [v.name, v.number]));
  const walk = (full: string, d: Descriptor) => {
    messages.set(full, d);
    for (const n of d.nestedType) walk(`${full}.${n.name}`, n);
    for (const e of d.enumType) enums.set(`${full}.${e.name}`, enumOf(e.value));
  };
  for (const [name, entry] of Object.entries(def)) {
    const e = entry as { format?: string; type?: unknown };
    if (e.format === 'Protocol Buffer 3 DescriptorProto') walk(name, e.type as Descriptor);
    else if (e.format === 'Protocol Buffer 3 EnumDescriptorProto') enums.set(name, enumOf((e.type as { value: Array<{ name: string; number: number }> }).value));
  }
  return { messages, enums };
}

/** Compiles codecs for a message and everything it reaches, resolving names by protobuf's scoping rules. */
function compile(def: PackageDefinition, root: string): MessageCodec {
  const { messages, enums } = index(def);
  const codecs = new Map<string, MessageCodec>();
  const resolve = <T>(table: Map<string, T>, scope: string, name: string): [string, T] => {
    if (name.startsWith('.')) name = name.slice(1);
    for (let s = scope; ; s = s.slice(0, Math.max(0, s.lastIndexOf('.')))) {
      const full = s ? `${s}.${name}` : name;
      const hit = table.get(full);
      if (hit !== undefined) return [full, hit];
      if (!s) throw new Error(`proto type ${name} not found from ${scope}`);
    }
  };
  const codecOf = (full: string): MessageCodec => {
    const known = codecs.get(full);
    if (known) return known;
    const codec = { fields: [] } as unknown as MessageCodec;
    codecs.set(full, codec);
    const d = messages.get(full);
    if (!d) throw new Error(`proto type ${full} not found`);
    codec.fields = [...d.field].sort((a, b) => a.number - b.number).map((f) => fieldOf(full, f));
    generate(codec);
    return codec;
  };
  const fieldOf = (scope: string, f: DescriptorField): Field => {
    const kind = SCALARS[f.type] ?? 'other';
    const field: Field = { name: f.name, tag: 0, kind, repeated: f.label === 'LABEL_REPEATED' };
    if (kind === 'enum') field.values = resolve(enums, scope, f.typeName)[1];
    else if (kind === 'message') {
      const [full, d] = resolve(messages, scope, f.typeName);
      if (d.options?.mapEntry) {
        const [k, v] = [...d.field].sort((a, b) => a.number - b.number).map((e) => fieldOf(full, e)) as [Field, Field];
        field.kind = 'map';
        field.repeated = false;
        field.entry = { key: withTag(k, 1), value: withTag(v, 2) };
      } else field.message = codecOf(full);
    }
    return withTag(field, f.number);
  };
  return codecOf(root);
}

function withTag(f: Field, no: number): Field {
  f.tag = (no << 3) | WIRE[f.kind];
  return f;
}

// ---- sizing (pass 1) and writing (pass 2) ----------------------------------------------------

function varintSize(n: number): number {
  if (n < 0) return 10;
  if (n < 0x80) return 1;
  if (n < 0x4000) return 2;
  if (n < 0x200000) return 3;
  if (n < 0x10000000) return 4;
  return 5;
}

/**
 * Pass 1 records, in visiting order, each length-delimited value's length (messages, strings) in
 * `lens`; pass 2 reads them back in the same order.
 */
interface Sizes {
  lens: number[];
}

function scalarSize(f: Field, v: unknown, s: Sizes): number {
  switch (f.kind) {
    case 'string': {
      if (typeof v !== 'string') throw new Unsupported(`${f.name}: not a string`);
      const n = Buffer.byteLength(v, 'utf8');
      s.lens.push(n);
      return varintSize(n) + n;
    }
    case 'bytes': {
      if (!(v instanceof Uint8Array)) throw new Unsupported(`${f.name}: not bytes`);
      return varintSize(v.length) + v.length;
    }
    case 'bool':
      return 1;
    case 'int32':
    case 'uint32':
      if (typeof v !== 'number' || !Number.isInteger(v)) throw new Unsupported(`${f.name}: not an integer`);
      return varintSize(f.kind === 'uint32' ? v >>> 0 : v | 0);
    case 'enum':
      return varintSize(enumNumber(f, v));
    case 'double':
      if (typeof v !== 'number') throw new Unsupported(`${f.name}: not a number`);
      return 8;
    case 'message': {
      if (typeof v !== 'object' || v === null) throw new Unsupported(`${f.name}: not an object`);
      const at = s.lens.push(0) - 1;
      const n = (f.message as MessageCodec).size(v as Record<string, unknown>, s);
      s.lens[at] = n;
      return varintSize(n) + n;
    }
    case 'map':
    case 'other':
      throw new Unsupported(`${f.name}: ${f.kind}`);
  }
}

function enumNumber(f: Field, v: unknown): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  const n = typeof v === 'string' ? f.values?.get(v) : undefined;
  if (n === undefined) throw new Unsupported(`${f.name}: unknown enum value ${String(v)}`);
  return n;
}

/** One field's size, its value present: a map's entries, a repeated field's items, or one value. */
function fieldSize(f: Field, v: unknown, s: Sizes): number {
  const tagSize = varintSize(f.tag);
  let size = 0;
  if (f.kind === 'map') {
    if (typeof v !== 'object') throw new Unsupported(`${f.name}: not a map`);
    const { key, value } = f.entry as NonNullable<Field['entry']>;
    for (const k of Object.keys(v as object)) {
      const at = s.lens.push(0) - 1;
      const n = 1 + scalarSize(key, k, s) + 1 + scalarSize(value, (v as Record<string, unknown>)[k], s);
      s.lens[at] = n;
      size += tagSize + varintSize(n) + n;
    }
  } else if (f.repeated) {
    if (!Array.isArray(v)) throw new Unsupported(`${f.name}: not an array`);
    if (v.length && f.kind !== 'message' && f.kind !== 'string' && f.kind !== 'bytes') throw new Unsupported(`${f.name}: packed`);
    for (const item of v) size += tagSize + scalarSize(f, item, s);
  } else size = tagSize + scalarSize(f, v, s);
  return size;
}

class Out {
  pos = 0;
  next = 0;
  constructor(
    readonly buf: Buffer,
    readonly lens: number[],
  ) {}

  varint(n: number): void {
    const b = this.buf;
    if (n < 0) {
      // Negative int32: ten bytes, sign-extended, as protobufjs writes it.
      let lo = n >>> 0;
      let hi = -1 >>> 0;
      for (let i = 0; i < 9; i++) {
        b[this.pos++] = (lo & 0x7f) | 0x80;
        lo = (lo >>> 7) | ((hi & 0x7f) << 25);
        hi >>>= 7;
      }
      b[this.pos++] = lo & 0x01;
      return;
    }
    while (n > 0x7f) {
      b[this.pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    b[this.pos++] = n;
  }
}

function writeScalar(o: Out, f: Field, v: unknown): void {
  o.varint(f.tag);
  switch (f.kind) {
    case 'string': {
      const n = o.lens[o.next++] as number;
      o.varint(n);
      if (n) (o.buf as Utf8Buffer).utf8Write(v as string, o.pos, n);
      o.pos += n;
      return;
    }
    case 'bytes': {
      const b = v as Uint8Array;
      o.varint(b.length);
      o.buf.set(b, o.pos);
      o.pos += b.length;
      return;
    }
    case 'bool':
      o.buf[o.pos++] = v ? 1 : 0;
      return;
    case 'int32':
      o.varint((v as number) | 0);
      return;
    case 'uint32':
      o.varint((v as number) >>> 0);
      return;
    case 'enum':
      o.varint(enumNumber(f, v));
      return;
    case 'double':
      o.buf.writeDoubleLE(v as number, o.pos);
      o.pos += 8;
      return;
    default:
      o.varint(o.lens[o.next++] as number);
      (f.message as MessageCodec).write(o, v as Record<string, unknown>);
  }
}

function writeField(o: Out, f: Field, v: unknown): void {
  if (f.kind === 'map') {
    const { key, value } = f.entry as NonNullable<Field['entry']>;
    for (const k of Object.keys(v as object)) {
      o.varint(f.tag);
      o.varint(o.lens[o.next++] as number);
      writeScalar(o, key, k);
      writeScalar(o, value, (v as Record<string, unknown>)[k]);
    }
  } else if (f.repeated) for (const item of v as unknown[]) writeScalar(o, f, item);
  else writeScalar(o, f, v);
}

/**
 * Generates a message's size and write functions, field by field with each property named in the
 * code (as protobufjs generates its encoders): a loop reading `m[f.name]` for every message type
 * was megamorphic and most of the encoder's time. Names come from the loaded descriptors, quoted.
 */
function generate(codec: MessageCodec): void {
  const reads = codec.fields.map((f, i) => [`v = m[${JSON.stringify(f.name)}];`, `if (v !== undefined && v !== null)`, i] as const);
  const size = reads.map(([get, present, i]) => `${get} ${present} n += fieldSize(F[${i}], v, s);`).join('\n');
  const write = reads.map(([get, present, i]) => `${get} ${present} writeField(o, F[${i}], v);`).join('\n');
  const make = new Function('fieldSize', 'writeField', 'F', `return [function size(m, s) { let n = 0; let v;\n${size}\nreturn n; }, function write(o, m) { let v;\n${write}\n}];`);
  [codec.size, codec.write] = make(fieldSize, writeField, codec.fields) as [MessageCodec['size'], MessageCodec['write']];
}

/** A serializer for message `name`, falling back to `fallback` (proto-loader's) for what it cannot write. */
export function replyEncoder(def: PackageDefinition, name: string, fallback: (value: unknown) => Buffer): (value: unknown) => Buffer {
  const codec = compile(def, name);
  return (value) => {
    if (typeof value !== 'object' || value === null) return fallback(value);
    const s: Sizes = { lens: [] };
    let size: number;
    try {
      size = codec.size(value as Record<string, unknown>, s);
    } catch (err) {
      if (err instanceof Unsupported) return fallback(value);
      throw err;
    }
    const o = new Out(Buffer.allocUnsafe(size), s.lens);
    codec.write(o, value as Record<string, unknown>);
    return o.buf;
  };
}
