// ext_authz reply builders. The ext_authz gRPC client reads `value` (not `raw_value`), and
// `append: false` must be explicit or newer Envoy appends (reference/envoy.md §2.4).
import type { Allow, Deny, HeaderToSet, Respond } from '../core/index.js';
import type { CheckResponse, HeaderValueOption, ProtoStruct } from './messages.js';

function valueOption(h: HeaderToSet): HeaderValueOption {
  return { header: { key: h.name, value: h.value }, append: { value: false } };
}

/** google.rpc.Code values. */
const OK = 0;
const PERMISSION_DENIED = 7;

export function okResponse(allow: Allow, metadata?: ProtoStruct, responseHeaders: readonly HeaderToSet[] = []): CheckResponse {
  const r: CheckResponse = {
    status: { code: OK },
    ok_response: { headers: allow.setHeaders.map(valueOption), headers_to_remove: [...allow.removeHeaders] },
  };
  if (responseHeaders.length && r.ok_response) r.ok_response.response_headers_to_add = responseHeaders.map(valueOption);
  if (metadata) r.dynamic_metadata = metadata;
  return r;
}

export function deniedResponse(deny: Deny | Respond, metadata?: ProtoStruct): CheckResponse {
  const r: CheckResponse = {
    status: { code: PERMISSION_DENIED, message: deny.reason },
    denied_response: { status: { code: deny.status }, headers: deny.headers.map(valueOption), body: deny.body },
  };
  if (metadata) r.dynamic_metadata = metadata;
  return r;
}
