// Public face of the control plane API (proto/mcpgw/v1/control.proto): the service, its gRPC and
// HTTP /v1 views, the admin credential, the proto3 JSON mapping and the protos themselves.
export { ControlService, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_SPEC_BYTES, type ControlDeps, type DrainView, type PodView, type ServerPodsView, type SessionQuery } from './service.js';
export { controlMethods, type ControlMethod, type ControlMethodName, type ControlMethods } from './api.js';
export { controlGrpcService, type ControlGrpcDeps } from './grpc.js';
export { controlHttpHandler, MAX_HTTP_BODY, decodeSegment, readJson, readJsonBody, sendJson, type ControlHttpDeps } from './http.js';
export { adminEnabled, adminTokenDigest, requireAdmin, tokenMatches, type AdminCredentials } from './auth.js';
export { ControlError, GRPC_CODE, HTTP_STATUS, controlErrorOf, type ControlCode, type FieldViolation } from './errors.js';
export { JsonInputError, ProtoJson, timestampJson, type Json, type JsonObject } from './json.js';
export { CONTROL_LOADER_OPTIONS, CONTROL_PACKAGE, CONTROL_PROTO, CONTROL_SERVICE, METADATA_PROTO, loadControlProtos, protoDir, type ControlProtos } from './protos.js';
