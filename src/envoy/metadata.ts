// The dynamic metadata mcpgw emits to Envoy, spelled as proto/mcpgw/v1/metadata.proto declares it
// (test/control/protos.test.ts holds the two together): access logs, rate-limit descriptors and other
// filters rely on these names. ext_authz writes the verified caller under its filter's namespace, and
// Envoy hands that namespace to ext_proc (metadata_options.forwarding_namespaces).
import { stringStruct } from './headers.js';
import type { ProtoStruct } from './messages.js';

/** Namespace Envoy files ext_authz's dynamic metadata under (Envoy's choice, not mcpgw's). */
export const EXT_AUTHZ_NAMESPACE = 'envoy.filters.http.ext_authz';
/** Namespace of the attributes Envoy sends ext_proc (`connection.uri_san_peer_certificate`, `upstream.address`). */
export const EXT_PROC_ATTRIBUTES_NAMESPACE = 'envoy.filters.http.ext_proc';
/** ExtProcDynamicMetadata's one field: the namespace of ext_proc's metadata. */
export const MCPGW_METADATA_NAMESPACE = 'mcpgw';

/** Field names of RequestMetadata (ext_proc, under "mcpgw"). */
export const REQUEST_METADATA_FIELDS = { server: 'server', method: 'method', name: 'name' } as const;
/** Field names of ExtAuthzDynamicMetadata. */
export const EXT_AUTHZ_METADATA_FIELDS = { ...REQUEST_METADATA_FIELDS, principal: 'mcpgw_principal' } as const;

/** Key (in EXT_AUTHZ_NAMESPACE) carrying the principal ext_authz verified, for ext_proc to trust. */
export const VERIFIED_PRINCIPAL_KEY = EXT_AUTHZ_METADATA_FIELDS.principal;

export interface RequestFacts {
  server: string;
  method?: string | undefined;
  name?: string | undefined;
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
