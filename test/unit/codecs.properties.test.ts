// Everything that reads client or Envoy bytes never throws, whatever the input: the header codecs
// (MCP's `=?base64?…?=` values, Envoy header maps) and the SSE list rewriter. The body parser's
// properties are in mcp-body.test.ts, the glob matcher's in test/policy/glob.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { headerSafe } from '../../src/core/index.js';
import { headerLookup, headerRecord } from '../../src/envoy/index.js';
import { decodeMcpHeaderValue, readMirroredHeaders, SseListRewriter } from '../../src/mcp/index.js';

const wellFormed = (s: string) => Buffer.from(s, 'utf8').toString('utf8') === s;
// Strings that look like MCP's encoded form, so the codec's edge is hit often.
const headerish = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({ unit: fc.constantFrom('=', '?', 'b', 'a', 's', 'e', '6', '4', 'Q', '/', '+', ' ', '\r', '\n', '\0'), maxLength: 30 }),
  fc.base64String({ maxLength: 40 }).map((b) => `=?base64?${b}?=`),
);

test('MCP header values: decoding never throws; encoding then decoding gives the value back', () => {
  fc.assert(
    fc.property(headerish, (v) => {
      assert.equal(typeof decodeMcpHeaderValue(v), 'string');
      const encoded = headerSafe(v);
      assert.match(encoded, /^[\x20-\x7e]*$/, 'header-safe');
      if (wellFormed(v)) assert.equal(decodeMcpHeaderValue(encoded), v);
    }),
    { numRuns: 3000 },
  );
});

test('a value that only looks like an encoded one is encoded, so the upstream reads what the client sent', () => {
  assert.equal(decodeMcpHeaderValue(headerSafe('=?base64?ZGVsZXRl?=')), '=?base64?ZGVsZXRl?=');
  assert.equal(headerSafe('echo'), 'echo');
});

const headerMapArb = fc.array(
  fc.record(
    {
      key: fc.string({ unit: 'binary', maxLength: 20 }),
      value: fc.string({ unit: 'binary', maxLength: 40 }),
      raw_value: fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
    },
    { requiredKeys: ['key'] },
  ),
  { maxLength: 8 },
);

/** Names as Envoy sends them (lower case), often repeated. */
const lowerCaseMapArb = fc.array(fc.record({ key: fc.constantFrom(':path', 'accept', 'mcp-session-id', 'x-a'), raw_value: fc.uint8Array({ maxLength: 10 }).map((b) => Buffer.from(b)) }), { maxLength: 8 });

test('Envoy header maps: lookups never throw and find what headerRecord finds, on any keys, values and raw bytes', () => {
  fc.assert(
    fc.property(fc.oneof(headerMapArb, lowerCaseMapArb), fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('accept', 'x-a', 'Accept')), (headers, name) => {
      const map = { headers };
      const record = headerRecord(map);
      const lookup = headerLookup(map);
      for (const h of headers) assert.equal(lookup(h.key.toLowerCase()), record[h.key.toLowerCase()]);
      assert.equal(lookup(name), record[name]);
      const mirrored = readMirroredHeaders(lookup);
      for (const v of [mirrored.method, mirrored.name]) assert.ok(v === undefined || typeof v === 'string');
    }),
    { numRuns: 2000 },
  );
});

// Bytes that are mostly SSE framing and JSON, so events and list results form often.
const sseByte = fc.oneof(
  fc.integer({ min: 0, max: 255 }),
  fc.constantFrom(...Buffer.from('data: {"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"secret"}]}}\r\n\n:')).map((b) => b),
);
const sseBody = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.array(sseByte, { maxLength: 300 }).map((b) => Uint8Array.from(b)),
  fc
    .array(fc.constantFrom('data: ', '{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"secret"},{"name":"a"}]}}', '\n', '\r', '\r\n', 'event: message', 'id: 1', ': c', '\uFEFF', 'é', '\xff'), { maxLength: 20 })
    .map((parts) => Buffer.from(parts.join(''), 'utf8')),
);

test('the SSE list rewriter never throws on any bytes, in any chunking', () => {
  fc.assert(
    fc.property(sseBody, fc.array(fc.nat(), { maxLength: 6 }), fc.constantFrom<string | number | null>(1, 'x', null), fc.constantFrom('tools/list', 'prompts/list', 'resources/list'), (body, cuts, id, method) => {
      const rw = new SseListRewriter(method, id, (item) => !item.name.startsWith('secret'));
      const ends = [...new Set(cuts.map((c) => c % (body.length + 1)))].sort((a, b) => a - b);
      let at = 0;
      let size = 0;
      for (const end of [...ends, body.length]) {
        size += rw.push(body.subarray(at, end)).length;
        at = end;
      }
      size += rw.end().length;
      assert.ok(size >= 0);
    }),
    { numRuns: 3000 },
  );
});

test('a non-ASCII header key whose lower case is longer is found as the record finds it', () => {
  const map = { headers: [{ key: 'İ', value: 'x' }] };
  assert.equal(headerLookup(map)('İ'.toLowerCase()), headerRecord(map)['İ'.toLowerCase()]);
});

test('header names that are Object.prototype members are plain headers', () => {
  const map = { headers: [{ key: '__proto__', value: 'a' }, { key: 'constructor', value: 'b' }] };
  const record = headerRecord(map);
  assert.equal(record['__proto__'], 'a');
  assert.equal(record['constructor'], 'b');
  assert.equal(record['tostring'], undefined);
  assert.equal(headerLookup(map)('constructor'), 'b');
});
