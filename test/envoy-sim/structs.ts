// google.protobuf.Struct in proto-loader's shape ({fields: {k: {stringValue}}}, reference/envoy.md §1.15.9).
import type { ProtoStruct, ProtoValue } from '../../src/envoy/messages.js';

export function structOf(values: Record<string, string | number | undefined>): ProtoStruct {
  const fields: Record<string, ProtoValue> = {};
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) continue;
    fields[k] = typeof v === 'number' ? { numberValue: v } : { stringValue: v };
  }
  return { fields };
}
