// A strict checker of Envoy's YAML/JSON config against the proto reflection types.
// Why not protobufjs fromObject: it silently drops unknown fields, which is exactly the typo this must
// catch. This walker follows Envoy's own proto3-JSON rules (snake_case or lowerCamel keys, enums by
// name, Duration as "1.5s", wrappers as bare values, Any with "@type") and reports every key, enum
// value or type URL it cannot resolve, plus deprecated fields and the `(validate.required)` /
// `message.required` annotations Envoy enforces at load time.
import protobuf from 'protobufjs';
import type { EnvoyProtoRoot, ProtoType } from './envoyProtos.js';

type Json = unknown;

const WRAPPER_SCALAR: Record<string, string> = {
  '.google.protobuf.DoubleValue': 'double',
  '.google.protobuf.FloatValue': 'float',
  '.google.protobuf.Int64Value': 'int64',
  '.google.protobuf.UInt64Value': 'uint64',
  '.google.protobuf.Int32Value': 'int32',
  '.google.protobuf.UInt32Value': 'uint32',
  '.google.protobuf.BoolValue': 'bool',
  '.google.protobuf.StringValue': 'string',
  '.google.protobuf.BytesValue': 'bytes',
};

// Well-known types whose JSON form is not an object of their fields; Any carries them as {"@type", "value"}.
const SPECIAL_JSON = new Set([
  ...Object.keys(WRAPPER_SCALAR),
  '.google.protobuf.Duration',
  '.google.protobuf.Timestamp',
  '.google.protobuf.FieldMask',
  '.google.protobuf.Struct',
  '.google.protobuf.Value',
  '.google.protobuf.ListValue',
]);

const DURATION = /^-?\d+(\.\d{1,9})?s$/;
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/;
const INTEGER_TEXT = /^-?\d+$/;
const INT32_RANGE: Record<string, [number, number]> = {
  int32: [-2147483648, 2147483647],
  sint32: [-2147483648, 2147483647],
  sfixed32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
  fixed32: [0, 4294967295],
};
const INT64 = new Set(['int64', 'sint64', 'sfixed64', 'uint64', 'fixed64']);

const camel = (snake: string) => snake.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);
const describe = (v: Json) => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v);

export class StrictProtoChecker {
  readonly problems: string[] = [];

  constructor(private readonly root: EnvoyProtoRoot) {}

  /** Checks `value` as message `typeName` (full name, no leading dot); returns every problem found. */
  static check(root: EnvoyProtoRoot, typeName: string, value: Json, path = '$'): string[] {
    const checker = new StrictProtoChecker(root);
    const type = root.lookupMessage(typeName);
    if (!type) return [`${path}: no such message type ${typeName}`];
    checker.message(type, value, path);
    return checker.problems;
  }

  private problem(path: string, message: string): void {
    this.problems.push(`${path}: ${message}`);
  }

  private message(type: ProtoType, value: Json, path: string): void {
    const name = type.fullName;
    if (name === '.google.protobuf.Any') return this.any(value, path);
    if (SPECIAL_JSON.has(name)) return this.specialJson(name, value, path);
    if (!isObject(value)) return this.problem(path, `expected a ${name.slice(1)} mapping, got ${describe(value)}`);

    const byKey = new Map<string, protobuf.Field>();
    for (const field of type.fieldsArray) {
      byKey.set(field.name, field);
      byKey.set(camel(field.name), field);
    }
    const seen = new Map<protobuf.Field, string>();
    for (const [key, fieldValue] of Object.entries(value)) {
      const field = byKey.get(key);
      const fieldPath = `${path}.${key}`;
      if (!field) {
        this.problem(fieldPath, `unknown field "${key}" in ${name.slice(1)}`);
        continue;
      }
      const earlier = seen.get(field);
      if (earlier !== undefined) this.problem(fieldPath, `field set twice (also as "${earlier}")`);
      seen.set(field, key);
      if (field.options?.['deprecated'] === true) this.problem(fieldPath, `field "${key}" is deprecated in ${name.slice(1)}`);
      this.field(field, fieldValue, fieldPath);
    }
    this.oneofs(type, seen, path);
    for (const field of type.fieldsArray) {
      // A oneof member's rules apply only when that member is the one set (protoc-gen-validate).
      if (field.partOf) continue;
      if (field.options?.['(validate.rules).message.required'] === true && !seen.has(field)) {
        this.problem(path, `required field "${field.name}" of ${name.slice(1)} is missing`);
      }
    }
  }

  private oneofs(type: ProtoType, seen: Map<protobuf.Field, string>, path: string): void {
    for (const oneof of type.oneofsArray) {
      const set = oneof.fieldsArray.filter((f) => seen.has(f)).map((f) => seen.get(f));
      if (set.length > 1) this.problem(path, `only one of oneof "${oneof.name}" may be set, found ${set.join(', ')}`);
      if (set.length === 0 && oneof.options?.['(validate.required)'] === true) {
        this.problem(path, `one of ${oneof.fieldsArray.map((f) => f.name).join(' | ')} is required (oneof "${oneof.name}")`);
      }
    }
  }

  private field(field: protobuf.Field, value: Json, path: string): void {
    if (value === null) return this.problem(path, 'null value (an empty YAML key?): remove the key or give it a value');
    if (field instanceof protobuf.MapField) {
      if (!isObject(value)) return this.problem(path, `expected a map, got ${describe(value)}`);
      for (const [k, v] of Object.entries(value)) {
        if (field.keyType !== 'string' && !this.mapKeyOk(field.keyType, k)) this.problem(path, `map key "${k}" is not a ${field.keyType}`);
        this.single(field, v, `${path}[${JSON.stringify(k)}]`);
      }
      return;
    }
    if (field.repeated) {
      if (!Array.isArray(value)) return this.problem(path, `expected a list, got ${describe(value)}`);
      value.forEach((v, i) => this.single(field, v, `${path}[${i}]`));
      return;
    }
    this.single(field, value, path);
  }

  private mapKeyOk(keyType: string, key: string): boolean {
    if (keyType === 'bool') return key === 'true' || key === 'false';
    return INTEGER_TEXT.test(key);
  }

  private single(field: protobuf.Field, value: Json, path: string): void {
    if (value === null) return this.problem(path, 'null value');
    const resolved = field.resolvedType;
    if (resolved instanceof protobuf.Type) return this.message(resolved, value, path);
    if (resolved instanceof protobuf.Enum) return this.enumValue(resolved, value, path);
    this.scalar(field.type, value, path);
  }

  private enumValue(type: protobuf.Enum, value: Json, path: string): void {
    const names = Object.keys(type.values);
    if (typeof value === 'string') {
      if (!(value in type.values)) return this.problem(path, `unknown ${type.fullName.slice(1)} value "${value}" (one of ${names.join(', ')})`);
      if (type.valuesOptions?.[value]?.['deprecated'] === true) this.problem(path, `enum value "${value}" is deprecated`);
      return;
    }
    if (typeof value === 'number' && Object.values(type.values).includes(value)) return;
    this.problem(path, `expected a ${type.fullName.slice(1)} name (${names.join(', ')}), got ${JSON.stringify(value)}`);
  }

  private scalar(kind: string, value: Json, path: string): void {
    const bad = (what: string) => this.problem(path, `expected ${what}, got ${JSON.stringify(value)}`);
    switch (kind) {
      case 'string':
        return void (typeof value === 'string' || bad('a string'));
      case 'bytes':
        return void ((typeof value === 'string' && /^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) || bad('base64 bytes'));
      case 'bool':
        return void (typeof value === 'boolean' || bad('true or false'));
      case 'double':
      case 'float':
        return void (typeof value === 'number' || ['NaN', 'Infinity', '-Infinity'].includes(value as string) || bad('a number'));
    }
    const range = INT32_RANGE[kind];
    if (range || INT64.has(kind)) {
      const n = typeof value === 'number' ? value : typeof value === 'string' && INTEGER_TEXT.test(value) ? Number(value) : NaN;
      if (!Number.isInteger(n)) return bad(`an integer (${kind})`);
      if (range && (n < range[0] || n > range[1])) return bad(`a ${kind} in ${range[0]}..${range[1]}`);
      if (kind.startsWith('u') || kind.startsWith('fixed')) {
        if (n < 0) bad(`a non-negative ${kind}`);
      }
      return;
    }
    this.problem(path, `unhandled scalar type ${kind}`);
  }

  private any(value: Json, path: string): void {
    if (!isObject(value)) return this.problem(path, `expected a typed mapping with "@type", got ${describe(value)}`);
    const url = value['@type'];
    if (typeof url !== 'string') return this.problem(path, 'missing "@type"');
    if (!url.startsWith('type.googleapis.com/')) this.problem(path, `@type "${url}" should start with type.googleapis.com/`);
    const type = this.root.lookupTypeUrl(url);
    if (!type) return this.problem(path, `cannot resolve @type "${url}" in Envoy's protos`);
    const { ['@type']: _drop, ...rest } = value;
    if (SPECIAL_JSON.has(type.fullName)) {
      const extra = Object.keys(rest).filter((k) => k !== 'value');
      if (extra.length) this.problem(path, `unknown keys ${extra.join(', ')} beside "value" for ${url}`);
      return this.specialJson(type.fullName, rest['value'], `${path}.value`);
    }
    this.message(type, rest, path);
  }

  private specialJson(name: string, value: Json, path: string): void {
    const wrapped = WRAPPER_SCALAR[name];
    if (wrapped) return this.scalar(wrapped, value, path);
    switch (name) {
      case '.google.protobuf.Duration':
        if (typeof value !== 'string' || !DURATION.test(value)) this.problem(path, `expected a duration like "1s" or "0.5s", got ${JSON.stringify(value)}`);
        return;
      case '.google.protobuf.Timestamp':
        if (typeof value !== 'string' || !TIMESTAMP.test(value)) this.problem(path, `expected an RFC 3339 timestamp, got ${JSON.stringify(value)}`);
        return;
      case '.google.protobuf.FieldMask':
        if (typeof value !== 'string') this.problem(path, 'expected a comma-separated field mask string');
        return;
      case '.google.protobuf.Struct':
        if (!isObject(value)) this.problem(path, `expected a mapping (Struct), got ${describe(value)}`);
        return;
      case '.google.protobuf.ListValue':
        if (!Array.isArray(value)) this.problem(path, `expected a list (ListValue), got ${describe(value)}`);
        return;
      case '.google.protobuf.Value':
        return; // any JSON value
    }
  }
}
