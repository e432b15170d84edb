// Reading Envoy header maps. ext_proc sends values in `raw_value` (Envoy ≥ 1.27 default) and older
// builds in `value`; read whichever is set (reference/envoy.md §1.6).
import type { HeaderList, HeaderMap, HeaderValue, ProtoStruct } from './messages.js';

export function headerValueText(h: HeaderValue): string {
  const raw = h.raw_value;
  if (raw && raw.length > 0) {
    // protobufjs hands Buffers over; decode in place rather than copying into a new Buffer first.
    return (Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)).toString('latin1');
  }
  return h.value ?? '';
}

/** The map's names and values by position: the decoder's own list, or one over a plain `headers` array. */
function listOf(map: HeaderMap | undefined): HeaderList {
  if (map?.list) return map.list;
  const headers = map?.headers ?? [];
  return { names: headers.map((h) => h.key), valueAt: (i) => headerValueText(headers[i] as HeaderValue) };
}

/**
 * Lower-case name → value, as headerRecord gives it. Envoy sends header names in lower case, and then
 * a lookup is a scan of the few names (faster than building an index for the dozen mcpgw asks), and
 * only the values asked for are decoded; a map with a name in another case goes through headerRecord.
 */
export function headerLookup(map: HeaderMap | undefined): (name: string) => string | undefined {
  const list = listOf(map);
  let index: Record<string, string> | undefined;
  let lowerCase: boolean | undefined;
  return (name) => {
    lowerCase ??= list.names.every((n) => n === n.toLowerCase());
    if (!lowerCase) return (index ??= recordOf(list))[name];
    let out: string | undefined;
    for (let i = 0; i < list.names.length; i++) {
      if (list.names[i] !== name) continue;
      const v = list.valueAt(i);
      out = out === undefined ? v : `${out},${v}`;
    }
    return out;
  };
}

/** Lower-case name → value; repeated headers joined with ',' as ext_authz does. */
export function headerRecord(map: HeaderMap | undefined): Record<string, string> {
  return recordOf(listOf(map));
}

function recordOf(list: HeaderList): Record<string, string> {
  // No prototype: a client's header named "constructor" or "__proto__" is just a header.
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (let i = 0; i < list.names.length; i++) {
    const key = (list.names[i] as string).toLowerCase();
    const v = list.valueAt(i);
    out[key] = key in out ? `${out[key]},${v}` : v;
  }
  return out;
}

/** Reads a string attribute from a proto-loader Struct (e.g. `upstream.address`). */
export function structString(s: ProtoStruct | undefined, key: string): string | undefined {
  return s?.fields?.[key]?.stringValue;
}

/** Builds a proto-loader Struct of string fields, for dynamic metadata. */
export function stringStruct(values: Record<string, string | undefined>): ProtoStruct {
  const fields: NonNullable<ProtoStruct['fields']> = {};
  for (const [k, v] of Object.entries(values)) if (v !== undefined) fields[k] = { stringValue: v };
  return { fields };
}
