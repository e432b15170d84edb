// Envoy's side of the wire: official protos, message shapes, header reading and reply building.
export { loadEnvoyServices, envoyServiceDefinitions, httpStatusNumber, envoyProtoIncludeDirs, PROTO_LOADER_OPTIONS, EXT_AUTHZ_PROTO, EXT_PROC_PROTO, type EnvoyServices, type EnvoyServiceDefinitions } from './protos.js';
export type * from './messages.js';
export { decodeCheckRequest, decodeProcessingRequest, MalformedMessage } from './decode.js';
export { headerLookup, headerRecord, headerValueText, structString, stringStruct } from './headers.js';
export { headerMutation, commonResponse, immediateResponse, withMetadata } from './extprocReplies.js';
export { okResponse, deniedResponse } from './authzReplies.js';
export { EXT_AUTHZ_METADATA_FIELDS, EXT_AUTHZ_NAMESPACE, EXT_PROC_ATTRIBUTES_NAMESPACE, MCPGW_METADATA_NAMESPACE, REQUEST_METADATA_FIELDS, VERIFIED_PRINCIPAL_KEY, extAuthzMetadata, extProcMetadata, type RequestFacts } from './metadata.js';
