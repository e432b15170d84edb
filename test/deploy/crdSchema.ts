// Our own CustomResourceDefinitions, checked the way the API server treats them: the schema must be
// structural (apiextensions.k8s.io/v1 refuses it otherwise), and a custom resource is validated against
// it, unknown fields included (the API server would silently prune them, so a typo would vanish).
import { readYaml } from './repo.js';

type Schema = Record<string, unknown>;

const SCHEMA_KEYS = new Set([
  'type', 'description', 'properties', 'required', 'items', 'additionalProperties', 'enum', 'pattern', 'format',
  'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minLength', 'maxLength', 'minItems', 'maxItems',
  'x-kubernetes-int-or-string', 'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-list-type', 'x-kubernetes-list-map-keys',
]);

/** Why a schema is not structural, one line per node; empty when it is. */
export function structuralProblems(s: Schema, path = '$'): string[] {
  const out: string[] = [];
  for (const key of Object.keys(s)) if (!SCHEMA_KEYS.has(key)) out.push(`${path}: ${key} is not allowed in a structural schema`);
  const free = s['x-kubernetes-int-or-string'] === true || s['x-kubernetes-preserve-unknown-fields'] === true;
  if (!free && typeof s.type !== 'string') out.push(`${path}: has no type`);
  if (s.properties && s.additionalProperties !== undefined) out.push(`${path}: properties and additionalProperties together`);
  if (s.default !== undefined) out.push(`${path}: defaults are left to mcpgw`);
  for (const [k, v] of Object.entries((s.properties as Record<string, Schema> | undefined) ?? {})) out.push(...structuralProblems(v, `${path}.${k}`));
  if (s.items) out.push(...structuralProblems(s.items as Schema, `${path}[]`));
  if (typeof s.additionalProperties === 'object') out.push(...structuralProblems(s.additionalProperties as Schema, `${path}{}`));
  return out;
}

/** Every version's schema of a CRD object, checked to be structural. */
export function crdSchemaProblems(obj: object): string[] {
  const versions = ((obj as Partial<Crd>).spec?.versions ?? []) as Crd['spec']['versions'];
  return versions.flatMap((v) => structuralProblems(v.schema.openAPIV3Schema, `$.spec.versions[${v.name}].schema.openAPIV3Schema`));
}

const typeOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v);

/** What the API server would refuse (or prune) of `value`; empty when it would store it as is. */
export function instanceProblems(s: Schema, value: unknown, path = '$'): string[] {
  if (s['x-kubernetes-preserve-unknown-fields'] === true && s.type === undefined) return [];
  if (s['x-kubernetes-int-or-string'] === true) return typeof value === 'string' || Number.isInteger(value) ? [] : [`${path}: must be an integer or a string`];
  const t = typeOf(value);
  const want = s.type as string;
  if (!(t === want || (want === 'number' && t === 'integer'))) return [`${path}: expected ${want}, got ${t}`];
  const out: string[] = [];
  if (s.enum && !(s.enum as unknown[]).includes(value)) out.push(`${path}: must be one of ${(s.enum as unknown[]).join(', ')}`);
  if (typeof value === 'string') {
    if (s.pattern && !new RegExp(s.pattern as string).test(value)) out.push(`${path}: does not match ${s.pattern as string}`);
    if (typeof s.minLength === 'number' && value.length < s.minLength) out.push(`${path}: shorter than ${s.minLength}`);
    if (typeof s.maxLength === 'number' && value.length > s.maxLength) out.push(`${path}: longer than ${s.maxLength}`);
  }
  if (typeof value === 'number') {
    const min = s.minimum as number | undefined;
    const max = s.maximum as number | undefined;
    if (min !== undefined && (s.exclusiveMinimum === true ? value <= min : value < min)) out.push(`${path}: below the minimum ${min}`);
    if (max !== undefined && (s.exclusiveMaximum === true ? value >= max : value > max)) out.push(`${path}: above the maximum ${max}`);
  }
  if (Array.isArray(value)) {
    if (typeof s.minItems === 'number' && value.length < s.minItems) out.push(`${path}: fewer than ${s.minItems} items`);
    if (typeof s.maxItems === 'number' && value.length > s.maxItems) out.push(`${path}: more than ${s.maxItems} items`);
    value.forEach((v, i) => s.items && out.push(...instanceProblems(s.items as Schema, v, `${path}[${i}]`)));
  }
  if (t === 'object') {
    const obj = value as Record<string, unknown>;
    const props = s.properties as Record<string, Schema> | undefined;
    for (const r of (s.required as string[] | undefined) ?? []) if (obj[r] === undefined) out.push(`${path}.${r}: required`);
    for (const [k, v] of Object.entries(obj)) {
      const child = props?.[k] ?? (typeof s.additionalProperties === 'object' ? (s.additionalProperties as Schema) : undefined);
      if (child) out.push(...instanceProblems(child, v, `${path}.${k}`));
      else if (props && s['x-kubernetes-preserve-unknown-fields'] !== true) out.push(`${path}.${k}: not a field of the schema (the API server would prune it)`);
    }
  }
  return out;
}

interface Crd {
  spec: { group: string; names: { kind: string }; versions: Array<{ name: string; schema: { openAPIV3Schema: Schema } }> };
}

/** The shipped CRD objects of istio/base, by "group/version kind". */
function shippedSchemas(): Map<string, Schema> {
  const crds = readYaml('istio/base/crd-mcpserver.yaml') as Crd[];
  const out = new Map<string, Schema>();
  for (const crd of crds) for (const v of crd.spec.versions) out.set(`${crd.spec.group}/${v.name} ${crd.spec.names.kind}`, v.schema.openAPIV3Schema);
  return out;
}

export const isOwnResource = (apiVersion: string): boolean => apiVersion.startsWith('mcpgw.io/');

/** A custom resource of ours against the shipped CRD's schema (metadata is the API server's business). */
export function ownResourceProblems(obj: { apiVersion: string; kind: string; metadata?: unknown }): string[] {
  const schema = shippedSchemas().get(`${obj.apiVersion} ${obj.kind}`);
  if (!schema) return [`no shipped CRD defines ${obj.apiVersion} ${obj.kind}`];
  const { metadata: _metadata, ...rest } = obj as Record<string, unknown>;
  return instanceProblems({ ...schema, properties: { ...(schema.properties as object), metadata: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }, rest);
}
