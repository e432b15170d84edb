// The proto3 JSON mapping for mcpgw's messages, driven by the descriptors proto-loader loaded: JSON
// (HTTP /v1, `mcpgw ctl -o json`) ⇄ proto-loader objects (gRPC). With CONTROL_LOADER_OPTIONS the two
// differ only in well-known types (Struct, Value, ListValue, Timestamp) and in what JSON input may
// spell differently (int64 as numbers, enum numbers, original field names), so that is all this does;
// everything else is checked (types, unknown fields) and copied.
import type { PackageDefinition } from '@grpc/proto-loader';
import { CONTROL_PACKAGE } from './protos.js';

interface FieldDescriptor {
  name: string;
  type: string;
  typeName: string;
  label: string;
}
interface MessageDescriptor {
  name: string;
  field: FieldDescriptor[];
  nestedType: MessageDescriptor[];
  options?: { mapEntry?: boolean } | null;
}
interface EnumDescriptor {
  value: Array<{ name: string; number: number }>;
}

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

/** A JSON value that does not fit the message; `field` is the dotted path from the message root. */
export class JsonInputError extends Error {
  constructor(readonly field: string, readonly description: string) {
    super(`${field || 'body'}: ${description}`);
    this.name = 'JsonInputError';
  }
}

/** Hostile nesting (a Struct inside a Struct …) stops here instead of at the stack's end. */
const MAX_DEPTH = 64;
const INT32 = new Set(['TYPE_INT32', 'TYPE_SINT32', 'TYPE_SFIXED32']);
const UINT32 = new Set(['TYPE_UINT32', 'TYPE_FIXED32']);
const INT64 = new Set(['TYPE_INT64', 'TYPE_SINT64', 'TYPE_SFIXED64', 'TYPE_UINT64', 'TYPE_FIXED64']);
const STRUCT = 'google.protobuf.Struct';
const VALUE = 'google.protobuf.Value';
const LIST = 'google.protobuf.ListValue';
const TIMESTAMP = 'google.protobuf.Timestamp';
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

const snake = (camel: string) => camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

export class ProtoJson {
  constructor(private readonly definition: PackageDefinition) {}

  /** proto-loader object → proto3 JSON. */
  toJson(typeName: string, obj: unknown): JsonObject {
    return this.messageToJson(this.message(typeName), typeName, obj, 0) as JsonObject;
  }

  /** proto3 JSON → proto-loader object; throws JsonInputError naming the first field that does not fit. */
  fromJson(typeName: string, json: unknown, path = ''): Record<string, unknown> {
    if (!isObject(json)) throw new JsonInputError(path, 'must be a JSON object');
    return this.messageFromJson(this.message(typeName), typeName, json, path, 0) as Record<string, unknown>;
  }

  private message(typeName: string): MessageDescriptor {
    const d = this.definition[typeName] as { type?: MessageDescriptor } | undefined;
    if (!d?.type?.field) throw new Error(`no message ${typeName}`);
    return d.type;
  }

  private enumValues(typeName: string): EnumDescriptor['value'] {
    const d = this.definition[typeName] as { type?: EnumDescriptor } | undefined;
    if (!d?.type?.value) throw new Error(`no enum ${typeName}`);
    return d.type.value;
  }

  /** Field type names are relative to the package (or fully qualified for imports); map entries are nested. */
  private resolve(parent: MessageDescriptor, typeName: string): { name: string; entry?: MessageDescriptor } {
    const entry = parent.nestedType.find((n) => n.name === typeName && n.options?.mapEntry);
    if (entry) return { name: typeName, entry };
    const local = `${CONTROL_PACKAGE}.${typeName}`;
    return { name: this.definition[local] ? local : typeName.replace(/^\./, '') };
  }

  private messageToJson(d: MessageDescriptor, typeName: string, obj: unknown, depth: number): Json {
    if (depth > MAX_DEPTH) throw new JsonInputError('', 'nested too deeply');
    if (!isObject(obj)) return null;
    if (typeName === STRUCT) return structToJson(obj, depth);
    if (typeName === VALUE) return valueToJson(obj, depth);
    if (typeName === LIST) return listToJson(obj, depth);
    if (typeName === TIMESTAMP) return timestampToJson(obj);
    const out: JsonObject = {};
    for (const f of d.field) {
      const v = obj[f.name];
      if (v === undefined || v === null) continue;
      if (f.label === 'LABEL_REPEATED' && !this.mapEntry(d, f)) out[f.name] = (v as unknown[]).map((x) => this.scalarToJson(d, f, x, depth));
      else out[f.name] = this.scalarToJson(d, f, v, depth);
    }
    return out;
  }

  private mapEntry(d: MessageDescriptor, f: FieldDescriptor): MessageDescriptor | undefined {
    return f.type === 'TYPE_MESSAGE' ? this.resolve(d, f.typeName).entry : undefined;
  }

  private scalarToJson(d: MessageDescriptor, f: FieldDescriptor, v: unknown, depth: number): Json {
    if (f.type === 'TYPE_MESSAGE') {
      const t = this.resolve(d, f.typeName);
      if (t.entry) {
        const valueField = t.entry.field[1] as FieldDescriptor;
        return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, this.scalarToJson(t.entry as MessageDescriptor, valueField, x, depth)]));
      }
      return this.messageToJson(this.message(t.name), t.name, v, depth + 1);
    }
    if (f.type === 'TYPE_ENUM' && typeof v === 'number') return this.enumValues(this.resolve(d, f.typeName).name).find((e) => e.number === v)?.name ?? v;
    return v as Json;
  }

  private messageFromJson(d: MessageDescriptor, typeName: string, json: unknown, path: string, depth: number): unknown {
    if (depth > MAX_DEPTH) throw new JsonInputError(path, 'nested too deeply');
    if (typeName === STRUCT) return structFromJson(json, path, depth);
    if (typeName === VALUE) return valueFromJson(json, path, depth);
    if (typeName === LIST) return listFromJson(json, path, depth);
    if (typeName === TIMESTAMP) return timestampFromJson(json, path);
    if (!isObject(json)) throw new JsonInputError(path, 'must be a JSON object');
    const byName = new Map<string, FieldDescriptor>();
    for (const f of d.field) byName.set(f.name, f).set(snake(f.name), f);
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(json)) {
      const f = byName.get(key);
      // Violations name fields as the .proto does (snake_case), however the caller spelled them.
      const at = join(path, f ? snake(f.name) : key);
      if (!f) throw new JsonInputError(at, 'unknown field');
      if (f.name in out) throw new JsonInputError(at, 'given twice (under its JSON and its proto name)');
      if (v === null) continue;
      const entry = this.mapEntry(d, f);
      if (entry) {
        if (!isObject(v)) throw new JsonInputError(at, 'must be a JSON object (a map)');
        const valueField = entry.field[1] as FieldDescriptor;
        out[f.name] = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.fieldFromJson(entry, valueField, x, `${at}["${k}"]`, depth)]));
      } else if (f.label === 'LABEL_REPEATED') {
        if (!Array.isArray(v)) throw new JsonInputError(at, 'must be a JSON array');
        out[f.name] = v.map((x, i) => this.fieldFromJson(d, f, x, `${at}[${i}]`, depth));
      } else {
        out[f.name] = this.fieldFromJson(d, f, v, at, depth);
      }
    }
    return out;
  }

  private fieldFromJson(d: MessageDescriptor, f: FieldDescriptor, v: unknown, path: string, depth: number): unknown {
    switch (f.type) {
      case 'TYPE_STRING':
        if (typeof v !== 'string') throw new JsonInputError(path, 'must be a string');
        return v;
      case 'TYPE_BOOL':
        if (typeof v !== 'boolean') throw new JsonInputError(path, 'must be true or false');
        return v;
      case 'TYPE_DOUBLE':
      case 'TYPE_FLOAT': {
        const n = typeof v === 'string' && ['NaN', 'Infinity', '-Infinity'].includes(v) ? Number(v) : v;
        if (typeof n !== 'number') throw new JsonInputError(path, 'must be a number');
        return n;
      }
      case 'TYPE_ENUM': {
        const values = this.enumValues(this.resolve(d, f.typeName).name);
        const e = values.find((x) => x.name === v || x.number === v);
        if (!e) throw new JsonInputError(path, `must be one of ${values.map((x) => x.name).join(', ')}`);
        return e.name;
      }
      case 'TYPE_MESSAGE': {
        const t = this.resolve(d, f.typeName);
        return this.messageFromJson(this.message(t.name), t.name, v, path, depth + 1);
      }
      default:
        if (INT64.has(f.type)) return int64FromJson(v, path, f.type === 'TYPE_UINT64' || f.type === 'TYPE_FIXED64');
        if (INT32.has(f.type) || UINT32.has(f.type)) return int32FromJson(v, path, UINT32.has(f.type));
        throw new JsonInputError(path, `unsupported field type ${f.type}`);
    }
  }
}

function int64FromJson(v: unknown, path: string, unsigned: boolean): string {
  const text = typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : typeof v === 'string' ? v : undefined;
  if (text === undefined || !/^-?\d{1,20}$/.test(text)) throw new JsonInputError(path, 'must be an integer (a number or a decimal string)');
  const n = BigInt(text);
  if (n > (unsigned ? 2n ** 64n - 1n : 2n ** 63n - 1n) || n < (unsigned ? 0n : -(2n ** 63n))) throw new JsonInputError(path, 'is out of range');
  return n.toString();
}

function int32FromJson(v: unknown, path: string, unsigned: boolean): number {
  const n = typeof v === 'string' && /^-?\d{1,10}$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new JsonInputError(path, 'must be an integer');
  if (n > (unsigned ? 2 ** 32 - 1 : 2 ** 31 - 1) || n < (unsigned ? 0 : -(2 ** 31))) throw new JsonInputError(path, 'is out of range');
  return n;
}

type ProtoValue = { nullValue?: unknown; numberValue?: number; stringValue?: string; boolValue?: boolean; structValue?: unknown; listValue?: unknown };

function structToJson(obj: Record<string, unknown>, depth: number): JsonObject {
  const fields = (obj.fields ?? {}) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, valueToJson(v as Record<string, unknown>, depth + 1)]));
}

function listToJson(obj: Record<string, unknown>, depth: number): Json[] {
  return ((obj.values ?? []) as Array<Record<string, unknown>>).map((v) => valueToJson(v, depth + 1));
}

function valueToJson(obj: Record<string, unknown>, depth: number): Json {
  if (depth > MAX_DEPTH) throw new JsonInputError('', 'nested too deeply');
  const v = obj as ProtoValue;
  if (v.numberValue !== undefined) return v.numberValue;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.structValue) return structToJson(v.structValue as Record<string, unknown>, depth);
  if (v.listValue) return listToJson(v.listValue as Record<string, unknown>, depth);
  return null;
}

function structFromJson(json: unknown, path: string, depth: number): { fields: Record<string, ProtoValue> } {
  if (!isObject(json)) throw new JsonInputError(path, 'must be a JSON object');
  return { fields: Object.fromEntries(Object.entries(json).map(([k, v]) => [k, valueFromJson(v, join(path, k), depth + 1)])) };
}

function listFromJson(json: unknown, path: string, depth: number): { values: ProtoValue[] } {
  if (!Array.isArray(json)) throw new JsonInputError(path, 'must be a JSON array');
  return { values: json.map((v, i) => valueFromJson(v, `${path}[${i}]`, depth + 1)) };
}

function valueFromJson(json: unknown, path: string, depth: number): ProtoValue {
  if (depth > MAX_DEPTH) throw new JsonInputError(path, 'nested too deeply');
  if (json === null) return { nullValue: 'NULL_VALUE' };
  if (typeof json === 'number') {
    if (!Number.isFinite(json)) throw new JsonInputError(path, 'must be a finite number');
    return { numberValue: json };
  }
  if (typeof json === 'string') return { stringValue: json };
  if (typeof json === 'boolean') return { boolValue: json };
  if (Array.isArray(json)) return { listValue: listFromJson(json, path, depth) };
  if (isObject(json)) return { structValue: structFromJson(json, path, depth) };
  throw new JsonInputError(path, 'is not JSON');
}

function timestampToJson(obj: Record<string, unknown>): string {
  const seconds = Number(obj.seconds ?? 0);
  const nanos = Number(obj.nanos ?? 0);
  const base = new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, '');
  if (!nanos) return `${base}Z`;
  // The mapping writes 3, 6 or 9 fractional digits.
  const digits = String(nanos).padStart(9, '0');
  return `${base}.${nanos % 1_000_000 === 0 ? digits.slice(0, 3) : nanos % 1000 === 0 ? digits.slice(0, 6) : digits}Z`;
}

function timestampFromJson(json: unknown, path: string): { seconds: string; nanos: number } {
  const m = typeof json === 'string' ? RFC3339.exec(json) : null;
  const ms = m ? Date.parse(json as string) : NaN;
  if (!m || Number.isNaN(ms)) throw new JsonInputError(path, 'must be an RFC 3339 timestamp, e.g. "2026-01-02T03:04:05Z"');
  const fraction = (m[7] ?? '.').slice(1).padEnd(9, '0');
  return { seconds: String(Math.floor(ms / 1000)), nanos: Number(fraction) };
}

/** ms since epoch → the proto3 JSON of a Timestamp. */
export function timestampJson(ms: number): string {
  return timestampToJson({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 });
}
