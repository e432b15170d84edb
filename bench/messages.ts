// The messages every server gets, byte for byte the same for mcpgw and the bare baselines: what
// envoy-sim (and Envoy with envoy/envoy.yaml) sends for one MCP tools/call in a session.
import type { CheckRequest, ProcessingRequest, ProtoStruct } from '../src/envoy/index.js';

export const AUTHORITY = 'mcp.bench';
export const MCP_PATH = '/mcp';
export const EXT_PROC_NAMESPACE = 'envoy.filters.http.ext_proc';

/** A realistic tools/call body (~600 bytes): a search with arguments and a progress token. */
export const TOOLS_CALL_BODY = Buffer.from(
  JSON.stringify({
    jsonrpc: '2.0',
    id: 42,
    method: 'tools/call',
    params: {
      name: 'search_docs',
      arguments: {
        query: 'how are MCP sessions pinned to pods behind Envoy ring hash and Maglev load balancers',
        filters: { product: ['mcpgw', 'envoy', 'istio'], since: '2026-01-01', language: 'en' },
        limit: 20,
        highlight: true,
        fields: ['title', 'url', 'snippet', 'updatedAt', 'score'],
      },
      _meta: { progressToken: 'bench-7f3c2a' },
    },
  }),
);

export const INITIALIZE_BODY = Buffer.from(
  JSON.stringify({
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: { elicitation: {} }, clientInfo: { name: 'bench-client', version: '1.0.0' } },
  }),
);

export function requestHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ':method': 'POST',
    ':path': MCP_PATH,
    ':authority': AUTHORITY,
    ':scheme': 'https',
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': '2025-06-18',
    'user-agent': 'bench-client/1.0 (node)',
    'x-request-id': '7c9e6679-7425-40de-944b-e07fc1f90ae7',
    'x-forwarded-proto': 'https',
    ...extra,
  };
}

function headerMap(h: Record<string, string>) {
  return { headers: Object.entries(h).map(([key, v]) => ({ key, raw_value: Buffer.from(v) })) };
}

const str = (s: string) => ({ stringValue: s });

function attributes(fields: Record<string, string>): Record<string, ProtoStruct> {
  return { [EXT_PROC_NAMESPACE]: { fields: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, str(v)])) } };
}

/** ext_authz Check with the body packed as bytes (with_request_body, pack_as_bytes). */
export function checkRequest(body: Buffer = TOOLS_CALL_BODY, extra: Record<string, string> = {}): CheckRequest {
  const headers = { ...requestHeaders(extra), 'content-length': String(body.length), 'x-envoy-auth-partial-body': 'false' };
  return {
    attributes: {
      source: { address: { socket_address: { address: '10.1.2.3', port_value: 51234 } }, principal: '' },
      destination: { address: { socket_address: { address: '10.1.9.9', port_value: 8443 } } },
      request: {
        http: { id: '1234567890', method: 'POST', headers, path: MCP_PATH, host: AUTHORITY, scheme: 'https', size: String(body.length), protocol: 'HTTP/2', raw_body: body },
      },
    },
  };
}

/**
 * The Check of the shipped wiring (issue 15): headers only, as Envoy sends it without
 * `with_request_body` (no body, no `x-envoy-auth-partial-body`); ext_proc reads the body.
 */
export function checkHeadersRequest(extra: Record<string, string> = {}, body: Buffer = TOOLS_CALL_BODY): CheckRequest {
  const req = checkRequest(body, extra);
  const http = req.attributes!.request!.http!;
  const { 'x-envoy-auth-partial-body': _partial, ...headers } = http.headers!;
  const { raw_body: _body, ...rest } = http;
  return { attributes: { ...req.attributes, request: { http: { ...rest, headers } } } };
}

/** The three messages of one ext_proc stream: request headers, BUFFERED body, response headers. */
export function processingSequence(opts: { body?: Buffer; extraHeaders?: Record<string, string>; responseHeaders?: Record<string, string> } = {}): ProcessingRequest[] {
  const body = opts.body ?? TOOLS_CALL_BODY;
  return [
    {
      request_headers: { headers: headerMap({ ...requestHeaders(opts.extraHeaders), 'content-length': String(body.length) }), end_of_stream: false },
      attributes: attributes({ 'source.address': '10.1.2.3:51234', 'request.id': '7c9e6679-7425-40de-944b-e07fc1f90ae7', 'connection.uri_san_peer_certificate': '' }),
    },
    { request_body: { body, end_of_stream: true } },
    {
      response_headers: {
        headers: headerMap({ ':status': '200', 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...opts.responseHeaders }),
        end_of_stream: false,
      },
    },
  ];
}
