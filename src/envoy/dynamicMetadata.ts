// The dynamic metadata mcpgw emits to Envoy, spelled as proto/mcpgw/v1/metadata.proto declares it
// (test/control/protos.test.ts holds the two together): access logs, rate-limit descriptors and other
// filters rely on these names.
import { stringStruct } from './headers.js';
import type { ProtoStruct } from './messages.js';

/** ExtProcDynamicMetadata's one field: the namespace of ext_proc's metadata. */
export const MCPGW_METADATA_NAMESPACE = 'mcpgw';
/** Envoy's own namespace for what an ext_authz server returns (not chosen by mcpgw). */
export const EXT_AUTHZ_METADATA_NAMESPACE = 'envoy.filters.http.ext_authz';

/** Field names of RequestMetadata (ext_proc, under "mcpgw"). */
export const REQUEST_METADATA_FIELDS = { server: 'server', method: 'method', name: 'name' } as const;
/** Field names of ExtAuthzDynamicMetadata. */
export const EXT_AUTHZ_METADATA_FIELDS = { ...REQUEST_METADATA_FIELDS, principal: 'mcpgw_principal' } as const;

export interface RequestFacts {
  server: string;
  method?: string;
  name?: string;
}

/** ProcessingResponse.dynamic_metadata: {"mcpgw": RequestMetadata}. */
export function extProcMetadata(r: RequestFacts): ProtoStruct {
  const f = REQUEST_METADATA_FIELDS;
  return { fields: { [MCPGW_METADATA_NAMESPACE]: { structValue: stringStruct({ [f.server]: r.server, [f.method]: r.method, [f.name]: r.name }) } } };
}

/** CheckResponse.dynamic_metadata: ExtAuthzDynamicMetadata; `principal` is the verified caller as JSON. */
export function extAuthzMetadata(r: RequestFacts, principal: string | undefined): ProtoStruct {
  const f = EXT_AUTHZ_METADATA_FIELDS;
  return stringStruct({ [f.server]: r.server, [f.method]: r.method, [f.name]: r.name, [f.principal]: principal });
}
