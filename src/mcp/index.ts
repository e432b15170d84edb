// MCP understanding: JSON-RPC bodies, protocol revisions, the 2026-07-28 mirrored headers, error bodies.
export { KNOWN_REVISIONS, DEFAULT_REVISION, MODERN_REVISION, revisionOf, type Revision, type KnownRevision } from './revision.js';
export { ErrorCode, refusal, jsonRpcErrorBody, type JsonRpcId, type McpRefusal } from './errors.js';
export { classifyMessage, nameKindOf, type McpMessage, type MessageKind, type NameKind } from './message.js';
export { parseBody, isRefusal, tooLarge, type BodyLimits, type ParsedBody } from './body.js';
export { checkJsonBounds, checkNameCaps, type JsonBounds, type NameCaps } from './bounds.js';
export { decodeMcpHeaderValue, readMirroredHeaders, messageFromHeaders, checkMirroredHeaders, type MirroredHeaders } from './headers.js';
export { EndpointEventReader, sessionIdFromEndpoint, legacySessionIdOfPath, responseMessages, createdTaskId, saysSessionNotFound } from './responses.js';
export { filterJsonBody, filterListResult, isFilteredList, type ListedItem, type Visibility, type ListRequestId } from './listFilter.js';
export { SseListRewriter } from './sseRewrite.js';
