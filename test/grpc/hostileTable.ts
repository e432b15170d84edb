// The hostile input table: each row is one request as a client could send it, with what every hook
// must answer (HTTP status, JSON-RPC error code and id). Written against what a user sees, so it holds
// whichever way the adapters are built inside.
import { createHash } from 'node:crypto';
import type { ProcessingRequest } from '../../src/envoy/index.js';

export const API_KEY = 'hostile-table-key';
export const apiKeySha = createHash('sha256').update(API_KEY).digest('hex');
export const MAX_BODY = 65_536;
export const MAX_STRING = 4096;
export const MAX_DEPTH = 32;
export const MAX_BATCH = 16;

/** What the client sees: 200 = passed on to the server; otherwise mcpgw's JSON-RPC error. */
export interface Expect {
  status: number;
  code?: number;
  id?: string | number | null;
}

export interface Row {
  name: string;
  method?: string;
  path?: string;
  authority?: string;
  headers?: Record<string, string>;
  /** null: no body at all (Envoy: end_of_stream on the headers). */
  body?: string | Buffer | null;
  /** HTTP/2 without content-length: mcpgw learns of the body only from the body itself. */
  noContentLength?: boolean;
  /** ext_proc: Envoy's metadata_context (what ext_authz passed on). */
  metadata?: ProcessingRequest['metadata_context'];
  expect: Expect;
  /** Where ext_proc's answer differs from ext_authz's (metadata only ext_proc reads). */
  extProc?: Expect;
  /** Where ext_authz, running beside ext_proc, rightly leaves the answer to ext_proc. */
  extAuthz?: Expect;
}

/** A row that only ext_proc can receive: Envoy's messages out of order. The stream must fail closed. */
export interface StreamRow {
  name: string;
  messages: ProcessingRequest[];
}

const ALLOW: Expect = { status: 200 };
const PARSE = (id: Expect['id'] = null): Expect => ({ status: 400, code: -32700, id });
const INVALID = (id: Expect['id'] = null): Expect => ({ status: 400, code: -32600, id });
const PARAMS = (id: Expect['id'] = 1): Expect => ({ status: 400, code: -32602, id });
const DENIED = (id: Expect['id'] = 1): Expect => ({ status: 403, code: -31403, id });
const MISMATCH = (id: Expect['id'] = 1): Expect => ({ status: 400, code: -32020, id });
const TOO_LARGE: Expect = { status: 413, code: -31413, id: null };
const NOT_ALLOWED: Expect = { status: 405, code: -31405, id: null };
const BODY_NOT_ALLOWED: Expect = { status: 400, code: -31400, id: null };
const UNAUTHORIZED: Expect = { status: 401, code: -31401, id: null };
const NO_SERVER: Expect = { status: 404, code: -31404, id: null };

const rpc = (method: string, params?: unknown, id: unknown = 1) => JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) });
const call = (name: unknown, id: unknown = 1) => rpc('tools/call', { name, arguments: {} }, id);
const nested = (depth: number) => `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"a":${'['.repeat(depth)}${']'.repeat(depth)}}}`;
const bytes = (...parts: Array<string | number[]>) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
const PING = rpc('ping');

const malformedJson: Row[] = [
  { name: 'not JSON at all', body: 'not json', expect: PARSE() },
  { name: 'a lone brace', body: '{', expect: PARSE() },
  { name: 'truncated object', body: '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}', expect: PARSE() },
  { name: 'truncated array', body: '[1,2', expect: PARSE() },
  { name: 'two objects back to back', body: `${PING}${PING}`, expect: PARSE() },
  { name: 'single-quoted keys', body: "{'jsonrpc':'2.0','id':1,'method':'ping'}", expect: PARSE() },
  { name: 'trailing comma', body: '{"jsonrpc":"2.0","id":1,"method":"ping",}', expect: PARSE() },
  { name: 'NaN literal', body: 'NaN', expect: PARSE() },
  { name: 'comment in JSON', body: '{"jsonrpc":"2.0",/* x */"id":1,"method":"ping"}', expect: PARSE() },
  { name: 'empty POST body (content-length 0)', body: '', expect: PARSE() },
  // ext_authz cannot tell "no body" from "no with_request_body" here; ext_proc sees end_of_stream. (With
  // extProc: false ext_authz refuses it itself: test/grpc/ext-authz-only.test.ts.)
  { name: 'POST without any body', body: null, expect: PARSE(), extAuthz: ALLOW },
  { name: 'whitespace-only body', body: ' \n\t ', expect: PARSE() },
  { name: 'unbalanced closing brackets', body: ']]]]{"jsonrpc":"2.0","id":1,"method":"ping"}', expect: PARSE() },
  { name: 'hex number id', body: '{"jsonrpc":"2.0","id":0x10,"method":"ping"}', expect: PARSE() },
];

const malformedJsonRpc: Row[] = [
  { name: 'JSON null', body: 'null', expect: INVALID() },
  { name: 'JSON true', body: 'true', expect: INVALID() },
  { name: 'JSON number', body: '42', expect: INVALID() },
  { name: 'JSON string', body: '"ping"', expect: INVALID() },
  { name: 'empty object', body: '{}', expect: INVALID() },
  { name: 'jsonrpc 1.0', body: '{"jsonrpc":"1.0","id":1,"method":"ping"}', expect: INVALID(1) },
  { name: 'jsonrpc missing', body: '{"id":7,"method":"ping"}', expect: INVALID(7) },
  { name: 'jsonrpc as a number', body: '{"jsonrpc":2.0,"id":1,"method":"ping"}', expect: INVALID(1) },
  { name: 'id an object', body: '{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}', expect: INVALID() },
  { name: 'id true', body: '{"jsonrpc":"2.0","id":true,"method":"ping"}', expect: INVALID() },
  { name: 'id an array', body: '{"jsonrpc":"2.0","id":[1],"method":"ping"}', expect: INVALID() },
  { name: 'request id null', body: '{"jsonrpc":"2.0","id":null,"method":"ping"}', expect: INVALID() },
  { name: 'method a number', body: '{"jsonrpc":"2.0","id":1,"method":42}', expect: INVALID(1) },
  { name: 'method null', body: '{"jsonrpc":"2.0","id":"m","method":null}', expect: INVALID('m') },
  { name: 'params a string', body: '{"jsonrpc":"2.0","id":1,"method":"ping","params":"x"}', expect: INVALID(1) },
  { name: 'params a number', body: '{"jsonrpc":"2.0","id":1,"method":"ping","params":5}', expect: INVALID(1) },
  { name: 'id only', body: '{"jsonrpc":"2.0","id":3}', expect: INVALID(3) },
  { name: 'a response from the client passes', body: '{"jsonrpc":"2.0","id":1,"result":{}}', expect: ALLOW },
  { name: 'an error response from the client passes', body: '{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"x"}}', expect: ALLOW },
  { name: 'a notification passes', body: '{"jsonrpc":"2.0","method":"notifications/initialized"}', expect: ALLOW },
  { name: 'fractional id', body: rpc('ping', undefined, 1.5), expect: ALLOW },
  { name: 'negative id', body: rpc('ping', undefined, -1), expect: ALLOW },
  { name: 'duplicate keys: last name wins (denied)', body: '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","name":"delete_all"}}', expect: DENIED() },
  { name: 'duplicate keys: last method wins', body: '{"jsonrpc":"2.0","id":1,"method":"ping","method":"tools/call","params":{"name":"delete_all"}}', expect: DENIED() },
];

const wrongTypes: Row[] = [
  { name: 'tools/call without params', body: rpc('tools/call'), expect: PARAMS() },
  { name: 'tools/call with empty params', body: rpc('tools/call', {}), expect: PARAMS() },
  { name: 'tools/call params an array', body: rpc('tools/call', ['echo']), expect: PARAMS() },
  { name: 'tool name a number', body: call(42), expect: PARAMS() },
  { name: 'tool name empty', body: call(''), expect: PARAMS() },
  { name: 'tool name null', body: call(null), expect: PARAMS() },
  { name: 'tool name a list', body: call(['echo']), expect: PARAMS() },
  { name: 'tool name an object', body: call({ name: 'echo' }), expect: PARAMS() },
  { name: 'resources/read without uri', body: rpc('resources/read', {}, 'r'), expect: PARAMS('r') },
  { name: 'resources/read uri a number', body: rpc('resources/read', { uri: 5 }), expect: PARAMS() },
  { name: 'prompts/get without name', body: rpc('prompts/get', { arguments: {} }), expect: PARAMS() },
  { name: 'tasks/get without taskId', body: rpc('tasks/get', {}), expect: PARAMS() },
  { name: 'tasks/cancel taskId a bool', body: rpc('tasks/cancel', { taskId: true }), expect: PARAMS() },
  { name: 'denied tool', body: call('delete_all', 'd-1'), expect: DENIED('d-1') },
  { name: 'denied tool with an escaped NUL', body: call('delete_\u0000'), expect: DENIED() },
  { name: 'allowed tool', body: call('echo'), expect: ALLOW },
];

const batches: Row[] = [
  { name: 'empty batch', body: '[]', expect: INVALID() },
  { name: 'batch over maxBatchSize', body: `[${Array.from({ length: MAX_BATCH + 1 }, (_, i) => rpc('ping', undefined, i)).join(',')}]`, expect: INVALID() },
  { name: 'initialize inside a batch', body: `[${rpc('initialize', { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'x', version: '1' } }, 'i')}]`, expect: INVALID('i') },
  { name: 'batch hiding a denied tool', body: `[${PING},${call('delete_all', 2)}]`, expect: DENIED(2) },
  { name: 'batch with a number element', body: `[${PING},42]`, expect: INVALID() },
  { name: 'nested batch', body: `[[${PING}]]`, expect: INVALID() },
  { name: 'batch with an invalid member id', body: `[${PING},{"jsonrpc":"2.0","id":{},"method":"ping"}]`, expect: INVALID() },
  { name: 'batch in a revision without batches', headers: { 'mcp-protocol-version': '2025-06-18' }, body: `[${PING}]`, expect: INVALID() },
  { name: 'valid batch of two pings', body: `[${PING},${rpc('ping', undefined, 2)}]`, expect: ALLOW },
];

const depth: Row[] = [
  { name: `nesting ${MAX_DEPTH + 1} deep`, body: nested(MAX_DEPTH + 1), expect: INVALID() },
  { name: 'nesting 10,000 deep', body: nested(10_000), expect: INVALID() },
  { name: 'nesting 10,000 deep, unclosed', body: '['.repeat(10_000), expect: INVALID() },
  { name: 'nesting within the limit', body: nested(MAX_DEPTH - 3), expect: ALLOW },
  { name: 'brackets inside a string do not count', body: rpc('ping', { s: '['.repeat(1000) }), expect: ALLOW },
];

const long: Row[] = [
  { name: 'a string over maxStringBytes', body: rpc('ping', { s: 'x'.repeat(MAX_STRING + 1) }), expect: INVALID() },
  { name: 'a tool name over maxStringBytes', body: call('a'.repeat(MAX_STRING + 1)), expect: INVALID() },
  { name: 'an id over maxStringBytes', body: rpc('ping', undefined, 'i'.repeat(MAX_STRING + 1)), expect: INVALID() },
  { name: 'an unterminated string over maxStringBytes', body: `{"jsonrpc":"2.0","id":1,"method":"${'m'.repeat(MAX_STRING + 10)}`, expect: INVALID() },
  { name: 'a body one byte over maxBodyBytes', body: rpc('ping', { pad: 'p'.repeat(MAX_STRING - 10), more: Array.from({ length: 20 }, () => 'q'.repeat(MAX_STRING - 10)) }), expect: TOO_LARGE },
  { name: 'content-length declares more than maxBodyBytes', headers: { 'content-length': String(MAX_BODY * 1000) }, body: PING, expect: TOO_LARGE },
  { name: 'content-length of 10^15', headers: { 'content-length': '1000000000000000' }, body: PING, expect: TOO_LARGE },
  { name: 'a long id comes back whole in the denial', body: call('delete_x', 'i'.repeat(4000)), expect: DENIED('i'.repeat(4000)) },
  { name: 'a 1000-byte tool name (under every cap)', body: call('t'.repeat(1000)), expect: ALLOW },
  { name: 'a 900-byte method name', body: rpc('x/'.repeat(450)), expect: ALLOW },
  { name: '2,000 params keys', body: rpc('ping', Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, i]))), expect: ALLOW },
];

const utf8: Row[] = [
  { name: 'bytes ff fe', body: bytes([0xff, 0xfe]), expect: PARSE() },
  { name: 'an overlong encoding inside a string', body: bytes('{"jsonrpc":"2.0","id":1,"method":"ping","params":{"s":"', [0xc0, 0xaf], '"}}'), expect: PARSE() },
  { name: 'an encoded surrogate (ED A0 80)', body: bytes('{"jsonrpc":"2.0","id":1,"method":"', [0xed, 0xa0, 0x80], '"}'), expect: PARSE() },
  { name: 'a truncated multi-byte sequence at the end', body: bytes(PING, [0xe2, 0x82]), expect: PARSE() },
  { name: 'a Latin-1 byte in a tool name', body: bytes('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"ech', [0xf6], '"}}'), expect: PARSE() },
  { name: 'an escaped lone surrogate in a tool name passes, header-safe', body: '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo\\ud800"}}', expect: ALLOW },
  { name: 'an escaped lone surrogate before a denied name', body: '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"delete_\\ud800"}}', expect: DENIED() },
  { name: 'emoji tool name', body: call('echo-🙂'), expect: ALLOW },
];

const controls: Row[] = [
  { name: 'a raw NUL between tokens', body: bytes('{"jsonrpc":"2.0",', [0], '"id":1,"method":"ping"}'), expect: PARSE() },
  { name: 'a raw NUL inside a string', body: bytes('{"jsonrpc":"2.0","id":1,"method":"pi', [0], 'ng"}'), expect: PARSE() },
  { name: 'a raw CR LF inside a string', body: '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo\r\nx-mcp-principal: admin"}}', expect: PARSE() },
  { name: 'an escaped CR LF in a tool name passes, header-safe', body: call('echo\r\nx-mcp-principal: admin'), expect: ALLOW },
  { name: 'an escaped CR LF in a method passes, header-safe', body: rpc('ping\r\nx-mcp-principal: admin'), expect: ALLOW },
  { name: 'Mcp-Name disagrees with the body', headers: { 'mcp-method': 'tools/call', 'mcp-name': 'echo' }, body: call('delete_all'), expect: MISMATCH() },
  { name: 'Mcp-Method disagrees with the body', headers: { 'mcp-method': 'ping' }, body: call('delete_all'), expect: MISMATCH() },
  { name: 'Mcp-Name in base64 form matching the body', headers: { 'mcp-method': 'tools/call', 'mcp-name': `=?base64?${Buffer.from('echo').toString('base64')}?=` }, body: call('echo'), expect: ALLOW },
  { name: 'Mcp-Name in malformed base64 form', headers: { 'mcp-method': 'tools/call', 'mcp-name': '=?base64?!!!?=' }, body: call('echo'), expect: MISMATCH() },
  { name: '2026-07-28 without Mcp-Method', headers: { 'mcp-protocol-version': '2026-07-28' }, body: call('echo'), expect: MISMATCH() },
  { name: '2026-07-28 with matching headers', headers: { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'echo' }, body: call('echo'), expect: ALLOW },
  { name: 'an unknown protocol revision is judged by shape', headers: { 'mcp-protocol-version': 'x\u0001y' }, body: call('delete_all'), expect: DENIED() },
];

// Every method, with and without a body (reference/mcp.md §3, docs/architecture.md).
const SOME_BODY = PING;
const methods: Row[] = [
  { name: 'GET without a body (SSE stream)', method: 'GET', body: null, expect: ALLOW },
  { name: 'GET with a body', method: 'GET', body: call('delete_all'), expect: BODY_NOT_ALLOWED },
  { name: 'GET with a body, no content-length (HTTP/2)', method: 'GET', body: call('delete_all'), noContentLength: true, expect: BODY_NOT_ALLOWED },
  { name: 'GET with an empty body', method: 'GET', body: '', expect: ALLOW },
  { name: 'GET with transfer-encoding chunked', method: 'GET', headers: { 'transfer-encoding': 'chunked' }, body: SOME_BODY, noContentLength: true, expect: BODY_NOT_ALLOWED },
  { name: 'HEAD without a body', method: 'HEAD', body: null, expect: ALLOW },
  { name: 'HEAD with a body', method: 'HEAD', body: SOME_BODY, expect: BODY_NOT_ALLOWED },
  { name: 'DELETE without a body', method: 'DELETE', body: null, expect: ALLOW },
  { name: 'DELETE with a body', method: 'DELETE', body: call('delete_all'), expect: BODY_NOT_ALLOWED },
  { name: 'OPTIONS without a body (CORS preflight)', method: 'OPTIONS', headers: { 'access-control-request-method': 'POST', origin: 'https://app.test' }, body: null, expect: ALLOW },
  { name: 'OPTIONS with a body', method: 'OPTIONS', body: call('delete_all'), expect: BODY_NOT_ALLOWED },
  ...['PUT', 'PATCH', 'TRACE', 'CONNECT', 'PROPFIND', 'get', 'post', 'X'.repeat(200)].flatMap((m): Row[] => [
    { name: `${m.slice(0, 12)} without a body`, method: m, body: null, expect: NOT_ALLOWED },
    { name: `${m.slice(0, 12)} with a denied tools/call body`, method: m, body: call('delete_all'), expect: NOT_ALLOWED },
  ]),
];

const routing: Row[] = [
  { name: 'a host no server claims', authority: 'other.test', body: PING, expect: NO_SERVER },
  { name: 'a path no server claims', path: '/mcpx', body: PING, expect: NO_SERVER },
  { name: 'an empty authority', authority: '', body: PING, expect: NO_SERVER },
  { name: 'the host with a port', authority: 'open.test:8443', body: call('delete_all'), expect: DENIED() },
  { name: 'the host in capitals', authority: 'OPEN.TEST', body: call('delete_all'), expect: DENIED() },
  { name: 'a query string', path: '/mcp?x=1&name=echo', body: call('delete_all'), expect: DENIED() },
  { name: 'a long path below the prefix', path: `/mcp/${'a'.repeat(8000)}`, body: PING, expect: ALLOW },
  { name: 'a forged affinity header', headers: { 'x-mcp-affinity': 'pod-a' }, body: PING, expect: ALLOW },
];

const VERIFIED = { id: 'apikey:bot', kind: 'apikey', subject: 'bot', scopes: [], roles: [], groups: [] };
const extAuthzSays = (value: string) => ({ filter_metadata: { 'envoy.filters.http.ext_authz': { fields: { mcpgw_principal: { stringValue: value } } } } });
const locked = (row: Omit<Row, 'authority'>): Row => ({ authority: 'locked.test', ...row });

const forged: Row[] = [
  locked({ name: 'no credentials', body: PING, expect: UNAUTHORIZED }),
  locked({ name: 'GET without credentials', method: 'GET', body: null, expect: UNAUTHORIZED }),
  locked({ name: 'OPTIONS preflight without credentials passes', method: 'OPTIONS', body: null, expect: ALLOW }),
  locked({ name: 'PUT without credentials is 405 before anything else', method: 'PUT', body: PING, expect: NOT_ALLOWED }),
  locked({ name: 'a wrong API key', headers: { 'x-api-key': 'guess' }, body: PING, expect: UNAUTHORIZED }),
  locked({ name: 'a forged x-mcp-principal header', headers: { 'x-mcp-principal': 'apikey:bot' }, body: PING, expect: UNAUTHORIZED }),
  locked({ name: 'a client header named like the metadata key', headers: { mcpgw_principal: JSON.stringify(VERIFIED) }, body: PING, expect: UNAUTHORIZED }),
  locked({ name: 'a forged x-forwarded-client-cert', headers: { 'x-forwarded-client-cert': 'URI=spiffe://cluster.local/ns/x/sa/admin' }, body: PING, expect: UNAUTHORIZED }),
  locked({ name: 'a bearer token of garbage', headers: { authorization: 'Bearer garbage' }, body: PING, expect: UNAUTHORIZED }),
  locked({ name: 'a bearer token with a control character', headers: { authorization: 'Bearer \u0001garbage' }, body: PING, expect: { status: 400, code: -31400, id: null } }),
  locked({ name: 'metadata principal that is not JSON', metadata: extAuthzSays('{not json'), body: PING, expect: UNAUTHORIZED }),
  locked({ name: 'metadata principal without scopes', metadata: extAuthzSays(JSON.stringify({ id: 'apikey:bot' })), body: PING, expect: UNAUTHORIZED }),
  locked({ name: 'metadata principal that has expired', metadata: extAuthzSays(JSON.stringify({ ...VERIFIED, expiresAt: 1 })), body: PING, expect: UNAUTHORIZED }),
  locked({
    name: 'a principal under another metadata namespace',
    metadata: { filter_metadata: { mcpgw: { fields: { mcpgw_principal: { stringValue: JSON.stringify(VERIFIED) } } } } },
    body: PING,
    expect: UNAUTHORIZED,
  }),
  // Documented trust (docs/security.md): ext_proc believes Envoy's ext_authz metadata, which no client
  // can write; only a caller of the gRPC port could, and listen.grpcTls / the AuthorizationPolicy stop that.
  locked({ name: 'a well-formed ext_authz principal in metadata (Envoy-only channel)', metadata: extAuthzSays(JSON.stringify(VERIFIED)), body: PING, expect: UNAUTHORIZED, extProc: ALLOW }),
  locked({ name: 'the right API key', headers: { 'x-api-key': API_KEY }, body: PING, expect: ALLOW }),
];

export const ROWS: Row[] = [...malformedJson, ...malformedJsonRpc, ...wrongTypes, ...batches, ...depth, ...long, ...utf8, ...controls, ...methods, ...routing, ...forged];

const headers = (h: Record<string, string>) => ({ headers: Object.entries(h).map(([key, v]) => ({ key, raw_value: Buffer.from(v) })) });
const POST = { ':method': 'POST', ':path': '/mcp', ':authority': 'open.test', ':scheme': 'http', 'content-type': 'application/json' };

export const STREAM_ROWS: StreamRow[] = [
  { name: 'a body before any headers', messages: [{ request_body: { body: Buffer.from(PING), end_of_stream: true } }] },
  { name: 'headers twice', messages: [{ request_headers: { headers: headers(POST), end_of_stream: false } }, { request_headers: { headers: headers(POST), end_of_stream: false } }] },
  {
    name: 'the body twice',
    messages: [
      { request_headers: { headers: headers(POST), end_of_stream: false } },
      { request_body: { body: Buffer.from(PING), end_of_stream: true } },
      { request_body: { body: Buffer.from(PING), end_of_stream: true } },
    ],
  },
  { name: 'a body after end_of_stream headers', messages: [{ request_headers: { headers: headers({ ...POST, ':method': 'GET' }), end_of_stream: true } }, { request_body: { body: Buffer.from(call('delete_all')), end_of_stream: true } }] },
  { name: 'a message with no request set', messages: [{}] },
];
