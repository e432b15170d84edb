// ext_proc reply builders. Header values go in `raw_value` only and `append` stays unset, which
// Envoy treats as overwrite-or-add (reference/envoy.md §1.6, §1.7).
import type { Deny, HeaderToSet, Respond } from '../core/index.js';
import type { CommonResponse, HeaderMutation, HeaderValueOption, ImmediateResponse, ProcessingResponse, ProtoStruct } from './messages.js';

function rawOption(h: HeaderToSet): HeaderValueOption {
  return { header: { key: h.name, raw_value: Buffer.from(h.value, 'latin1') } };
}

export function headerMutation(setHeaders: readonly HeaderToSet[], removeHeaders: readonly string[]): HeaderMutation | undefined {
  if (setHeaders.length === 0 && removeHeaders.length === 0) return undefined;
  const m: HeaderMutation = {};
  if (setHeaders.length) m.set_headers = setHeaders.map(rawOption);
  if (removeHeaders.length) m.remove_headers = [...removeHeaders];
  return m;
}

export function commonResponse(mutation: HeaderMutation | undefined): CommonResponse {
  return mutation ? { header_mutation: mutation } : {};
}

export function immediateResponse(deny: Deny | Respond): ImmediateResponse {
  return {
    status: { code: deny.status },
    headers: headerMutation(deny.headers, []) ?? {},
    body: Buffer.from(deny.body, 'utf8'),
    // Envoy exposes this as %RESPONSE_CODE_DETAILS%: grep-able in access logs.
    details: `mcpgw_${deny.reason}`,
  };
}

export function withMetadata(reply: ProcessingResponse, metadata: ProtoStruct | undefined): ProcessingResponse {
  if (metadata) reply.dynamic_metadata = metadata;
  return reply;
}
