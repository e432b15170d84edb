// ProcessingResponse shapes for each phase.
import type { Decision, HeaderToSet } from '../core/index.js';
import {
  commonResponse,
  extProcMetadata,
  headerMutation,
  immediateResponse,
  type BodySendMode,
  type ProcessingMode,
  type ProcessingResponse,
  type ProtoStruct,
} from '../envoy/index.js';

/** Dynamic metadata under mcpgw's namespace, for access logs and rate-limit descriptors. */
function mcpgwMetadata(d: Decision): ProtoStruct | undefined {
  const s = d.summary;
  return s.server ? extProcMetadata({ server: s.server, method: s.method, name: s.name }) : undefined;
}

export function requestReply(kind: 'request_headers' | 'request_body', d: Decision): ProcessingResponse {
  if (d.kind !== 'allow') return { response: 'immediate_response', immediate_response: immediateResponse(d) };
  const r: ProcessingResponse = { response: kind, [kind]: { response: commonResponse(headerMutation(d.setHeaders, d.removeHeaders)) } };
  const md = mcpgwMetadata(d);
  if (md) r.dynamic_metadata = md;
  return r;
}

export function denyReply(d: Exclude<Decision, { kind: 'allow' }>): ProcessingResponse {
  return { response: 'immediate_response', immediate_response: immediateResponse(d) };
}

/**
 * A mode override must fill all six fields: newest Envoy takes body modes literally (unset = NONE)
 * (reference/envoy.md §1.10). Only the response body mode changes from the shipped config.
 */
export function responseBodyOverride(mode: BodySendMode): ProcessingMode {
  return {
    request_header_mode: 'SEND',
    response_header_mode: 'SEND',
    request_body_mode: 'BUFFERED',
    response_body_mode: mode,
    request_trailer_mode: 'SKIP',
    response_trailer_mode: 'SKIP',
  };
}

/**
 * When mcpgw will rewrite the body, the upstream's content-length no longer holds: drop it and let the
 * response be chunked.
 */
export function responseHeadersReply(readBody?: BodySendMode, rewritesBody = false, setHeaders: readonly HeaderToSet[] = []): ProcessingResponse {
  const mutation = headerMutation(setHeaders, rewritesBody ? ['content-length'] : []);
  const r: ProcessingResponse = { response: 'response_headers', response_headers: { response: commonResponse(mutation) } };
  if (readBody) r.mode_override = responseBodyOverride(readBody);
  return r;
}

export function responseBodyReply(body?: Uint8Array): ProcessingResponse {
  return body === undefined ? RESPONSE_BODY_CONTINUE : { response: 'response_body', response_body: { response: { body_mutation: { body } } } };
}

export const RESPONSE_BODY_CONTINUE: ProcessingResponse = { response: 'response_body', response_body: { response: {} } };
