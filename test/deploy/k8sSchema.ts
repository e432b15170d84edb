// Validates Kubernetes and Istio objects against their published schemas, and also rejects fields
// the schema does not define.
//
// Why the extra step: the schema validators (kubernetes-models, @kubernetes-models/istio,
// @kubernetes-models/prometheus-operator) accept unknown fields, as the API server does before
// silently pruning them, so `httpHeadrName:` would
// pass and the DestinationRule would quietly hash nothing. Those packages ship their schemas only as
// compiled validators (no JSON files), so the set of defined fields is read from the validator
// itself: it runs on a Proxy of the object, and a schema with `properties` reads every defined
// property name (`data.foo !== undefined`) whether or not it is present. A present key that the
// validator never read is a field the schema does not define. Objects whose keys the validator
// enumerates (maps: labels, annotations, data) or never looks inside (free-form fields such as an
// EnvoyFilter patch value) are not judged here; the Envoy patch values get their own proto check.

import { crdSchemaProblems, isOwnResource, ownResourceProblems } from './crdSchema.js';
import { gatewayApiProblems, isGatewayApi } from './gatewayApi.js';

export interface SchemaResult {
  /** Messages from the schema validator itself (types, enums, required fields). */
  schemaErrors: string[];
  /** Present keys the schema does not define, as JSON paths. */
  unknownFields: string[];
}

interface ModelCtor {
  prototype: { validate(this: unknown): void };
}

interface AccessRecord {
  path: string;
  read: Set<string>;
  enumerated: boolean;
}

/** The module that defines the model for an apiVersion/kind, in the three model packages. */
export function modelModule(apiVersion: string, kind: string): string {
  const slash = apiVersion.indexOf('/');
  if (slash < 0) return `kubernetes-models/${apiVersion}/${kind}`; // core group: "v1"
  const group = apiVersion.slice(0, slash);
  const pkg = group.endsWith('.istio.io') ? '@kubernetes-models/istio' : group === 'monitoring.coreos.com' ? '@kubernetes-models/prometheus-operator' : 'kubernetes-models';
  return `${pkg}/${apiVersion}/${kind}`;
}

async function loadModel(apiVersion: string, kind: string): Promise<ModelCtor> {
  const specifier = modelModule(apiVersion, kind);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(specifier)) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`no schema for ${apiVersion} ${kind} (${specifier}): ${(err as Error).message}`);
  }
  const ctor = mod[kind] as ModelCtor | undefined;
  if (!ctor || typeof ctor.prototype?.validate !== 'function') throw new Error(`${specifier} exports no validating model ${kind}`);
  return ctor;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** Wraps `root` so that every property read and key enumeration is recorded per object. */
function traceAccess(root: object): { proxy: object; records: Map<object, AccessRecord> } {
  const records = new Map<object, AccessRecord>();
  const proxies = new WeakMap<object, object>();
  const wrap = (value: unknown, path: string): unknown => {
    if (!isObject(value)) return value;
    const existing = proxies.get(value);
    if (existing) return existing;
    const record: AccessRecord = { path, read: new Set(), enumerated: false };
    records.set(value, record);
    const proxy = new Proxy(value, {
      get(target, key, receiver) {
        const child = Reflect.get(target, key, receiver);
        if (typeof key !== 'string') return child;
        record.read.add(key);
        return wrap(child, Array.isArray(target) ? `${path}[${key}]` : `${path}.${key}`);
      },
      has(target, key) {
        if (typeof key === 'string') record.read.add(key);
        return Reflect.has(target, key);
      },
      ownKeys(target) {
        record.enumerated = true;
        return Reflect.ownKeys(target);
      },
    });
    proxies.set(value, proxy);
    return proxy;
  };
  return { proxy: wrap(root, '$') as object, records };
}

/** Schema-validates one object and lists the fields its schema does not define. */
export async function validateObject(obj: { apiVersion: string; kind: string }): Promise<SchemaResult> {
  const model = await loadModel(obj.apiVersion, obj.kind);
  const { proxy, records } = traceAccess(obj);
  const schemaErrors: string[] = [];
  try {
    model.prototype.validate.call(proxy);
  } catch (err) {
    schemaErrors.push((err as Error).message);
  }
  const unknownFields: string[] = [];
  for (const [target, record] of records) {
    // Arrays are checked element by element; enumerated objects are maps; unread ones are free-form.
    if (Array.isArray(target) || record.enumerated || record.read.size === 0) continue;
    for (const key of Object.keys(target)) {
      if (!record.read.has(key)) unknownFields.push(`${record.path}.${key}`);
    }
  }
  return { schemaErrors, unknownFields: unknownFields.sort() };
}

/** One line per problem, prefixed with the object's identity; empty when the object is valid. */
export async function objectProblems(obj: { apiVersion: string; kind: string; metadata?: { name?: string; namespace?: string } }): Promise<string[]> {
  const id = `${obj.kind} ${obj.metadata?.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata?.name ?? '?'}`;
  if (isGatewayApi(obj.apiVersion)) return gatewayApiProblems(obj).map((p) => `${id}: ${p}`);
  if (isOwnResource(obj.apiVersion)) return ownResourceProblems(obj).map((p) => `${id}: ${p}`);
  let result: SchemaResult;
  try {
    result = await validateObject(obj);
  } catch (err) {
    return [`${id}: ${(err as Error).message}`];
  }
  // A CRD's schema is JSONSchemaProps, which the model's validator reads only in part: it is judged
  // field by field by the structural-schema check instead.
  const crd = obj.kind === 'CustomResourceDefinition';
  const unknown = crd ? result.unknownFields.filter((f) => !f.includes('.openAPIV3Schema.')) : result.unknownFields;
  return [
    ...result.schemaErrors.map((e) => `${id}: schema: ${e}`),
    ...unknown.map((f) => `${id}: ${f} is not a field of ${obj.apiVersion} ${obj.kind}`),
    ...(crd ? crdSchemaProblems(obj).map((p) => `${id}: ${p}`) : []),
  ];
}
