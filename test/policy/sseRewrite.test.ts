// The SSE rewriter: only the event carrying the list response changes; every other byte is passed
// through; any chunking gives the same output as the whole body.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { SseListRewriter } from '../../src/mcp/sseRewrite.js';
import type { ListedItem } from '../../src/mcp/listFilter.js';

const visible = (item: ListedItem) => !item.name.startsWith('secret');
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder('utf-8', { ignoreBOM: true }).decode(b);

function run(body: Uint8Array, chunkEnds: readonly number[] = [], id: string | number | null = 1, method = 'tools/list'): string {
  const rw = new SseListRewriter(method, id, visible);
  const out: Uint8Array[] = [];
  let at = 0;
  for (const end of [...chunkEnds, body.length]) {
    out.push(rw.push(body.subarray(at, end)));
    at = end;
  }
  out.push(rw.end());
  return dec(Buffer.concat(out));
}
const rewrite = (body: string, id: string | number | null = 1) => run(enc(body), [], id);

const listJson = (id: string | number, names: string[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({ result: { tools: names.map((name) => ({ name, inputSchema: { type: 'object' } })), ...extra }, jsonrpc: '2.0', id });
const note = (text: string) => JSON.stringify({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: text } });

test('SDK 1.x shape: event and id lines kept, data rewritten', () => {
  const body = `event: message\nid: 3f2a_1\ndata: ${listJson(1, ['echo', 'secret_rm'])}\n\n`;
  assert.equal(rewrite(body), `event: message\nid: 3f2a_1\ndata: ${listJson(1, ['echo'])}\n\n`);
});

test('notifications, comments and retry before and after the result pass byte for byte', () => {
  const before = `: keepalive\n\nretry: 1000\n\nevent: message\nid: 1\ndata: ${note('secret_rm is listed')}\n\n`;
  const after = `: bye\n\nevent: message\ndata: ${note('after')}\n\n`;
  const body = `${before}event: message\nid: 2\ndata: ${listJson(1, ['secret_a', 'echo'])}\n\n${after}`;
  assert.equal(rewrite(body), `${before}event: message\nid: 2\ndata: ${listJson(1, ['echo'])}\n\n${after}`);
});

test('a response to another id is not touched', () => {
  const body = `event: message\ndata: ${listJson(2, ['secret_a'])}\n\n`;
  assert.equal(rewrite(body, 1), body);
  assert.equal(rewrite(body, '2'), body, 'ids compare by type too');
});

test('nothing hidden: the body comes back identical', () => {
  const body = `event: message\r\nid: 9\r\ndata: ${listJson(1, ['echo'])}\r\n\r\n`;
  assert.equal(rewrite(body), body);
});

test('multi-line data becomes one data line where the last was; other lines stay in place', () => {
  const pretty = JSON.stringify(JSON.parse(listJson(1, ['echo', 'secret_x'])), null, 2).split('\n');
  const body = `${pretty.map((l) => `data: ${l}`).join('\n')}\nid: 5\ndata:\nevent: message\n\n`;
  assert.equal(rewrite(body), `id: 5\ndata: ${listJson(1, ['echo'])}\nevent: message\n\n`);
});

test('a lone CR inside the event does not merge with the empty line after rewriting', () => {
  const body = `data: {\rdata: "result":{"tools":[{"name":"secret_a"}]},"jsonrpc":"2.0","id":1}\n\n`;
  assert.equal(rewrite(body), `data: ${JSON.stringify({ result: { tools: [] }, jsonrpc: '2.0', id: 1 })}\n\n`);
});

test('CRLF line endings are kept', () => {
  const body = `: keepalive\r\n\r\nevent: message\r\nid: 1\r\ndata: ${listJson(1, ['secret_a', 'echo'])}\r\n\r\n`;
  assert.equal(rewrite(body), `: keepalive\r\n\r\nevent: message\r\nid: 1\r\ndata: ${listJson(1, ['echo'])}\r\n\r\n`);
});

test('CR-only line endings, split between chunks', () => {
  const body = enc(`event: message\rdata: ${listJson(1, ['secret_a'])}\r\r`);
  const want = `event: message\rdata: ${listJson(1, [])}\r\r`;
  assert.equal(run(body), want);
  assert.equal(run(body, [body.length - 1]), want, 'the last CR arrives alone');
});

test('data: without a space, and id/event given as odd field forms', () => {
  const body = `data:${listJson(1, ['secret_a', 'echo'])}\nevent:message\n\n`;
  assert.equal(rewrite(body), `data: ${listJson(1, ['echo'])}\nevent:message\n\n`);
});

test('cacheScope public turns private inside SSE too', () => {
  const body = `event: message\ndata: ${listJson(1, ['echo'], { ttlMs: 5000, cacheScope: 'public' })}\n\n`;
  assert.equal(rewrite(body), `event: message\ndata: ${listJson(1, ['echo'], { ttlMs: 5000, cacheScope: 'private' })}\n\n`);
});

test('a result event cut off by the end of the body is still filtered', () => {
  assert.equal(rewrite(`event: message\ndata: ${listJson(1, ['secret_a', 'echo'])}`), `event: message\ndata: ${listJson(1, ['echo'])}`);
  assert.equal(rewrite(`event: message\ndata: ${listJson(1, ['secret_a'])}\n`), `event: message\ndata: ${listJson(1, [])}\n`);
});

test('non-JSON data and events without data pass', () => {
  const body = 'data: not json\n\nevent: ping\n\nid: 4\n\n';
  assert.equal(rewrite(body), body);
});

test('a leading BOM is passed through, even split across chunks', () => {
  const body = enc(`\uFEFFdata: ${listJson(1, ['secret_a'])}\n\n`);
  const want = `\uFEFFdata: ${listJson(1, [])}\n\n`;
  assert.equal(run(body), want);
  assert.equal(run(body, [1, 2]), want);
});

test('after the response, later chunks pass through untouched', () => {
  const rw = new SseListRewriter('tools/list', 1, visible);
  rw.push(enc(`data: ${listJson(1, ['secret_a'])}\n\n`));
  const later = enc(`data: ${listJson(1, ['secret_b'])}\n\n`);
  assert.equal(rw.push(later), later);
  assert.equal(rw.end().length, 0);
});

test('with a null id every list response in the stream is filtered', () => {
  const body = `data: ${listJson(1, ['secret_a'])}\n\ndata: ${listJson(2, ['secret_b', 'echo'])}\n\n`;
  assert.equal(rewrite(body, null), `data: ${listJson(1, [])}\n\ndata: ${listJson(2, ['echo'])}\n\n`);
});

test('every single split point, including inside multi-byte characters, gives the same output', () => {
  const body = enc(`: keepalive\r\n\r\nevent: message\r\ndata: ${note('größe ✓ 🎉')}\r\n\r\nevent: message\rid: 7\rdata: ${listJson(1, ['ツール', 'secret_🔑'])}\r\r: after 🎉\n\n`);
  const whole = run(body);
  assert.ok(!whole.includes('secret_'));
  for (let cut = 0; cut <= body.length; cut++) assert.equal(run(body, [cut]), whole, `split at byte ${cut}`);
});

// ---- properties over generated bodies ----

const EOLS = ['\n', '\r\n', '\r'] as const;
const textArb = fc.constantFrom('plain', 'héllo', 'größe ✓', '日本語', '🎉 emoji 🚀', 'quote " and \\ slash', 'a:b: c');

/** One comment, retry or notification block as lines (without terminators). */
const otherBlockArb: fc.Arbitrary<string[]> = fc.oneof(
  fc.constantFrom<string[]>([': keepalive'], ['retry: 3000'], [':']),
  fc.record({ text: textArb, id: fc.option(fc.nat(99)) }).map(({ text, id }) => ['event: message', ...(id === null ? [] : [`id: ${id}`]), `data: ${note(text)}`]),
);

/** The list response to request 1, on one data line or pretty-printed over several. */
const responseBlockArb: fc.Arbitrary<string[]> = fc
  .record({ names: fc.uniqueArray(fc.constantFrom('echo', 'secret_rm', 'naïve', 'secret_🔑', 'ツール'), { maxLength: 5 }), split: fc.boolean(), scope: fc.constantFrom(undefined, 'public', 'private') })
  .map(({ names, split, scope }) => {
    const json = listJson(1, names, scope ? { ttlMs: 1, cacheScope: scope } : {});
    const data = split ? JSON.stringify(JSON.parse(json), null, 1).split('\n').map((l) => `data: ${l}`) : [`data: ${json}`];
    return ['event: message', 'id: ev-1', ...data];
  });

/** Notifications and comments, with at most one response somewhere among them (as on a real stream). */
const blocksArb = fc
  .tuple(fc.array(otherBlockArb, { maxLength: 5 }), fc.option(responseBlockArb), fc.nat())
  .map(([others, response, at]) => (response ? [...others.slice(0, at % (others.length + 1)), response, ...others.slice(at % (others.length + 1))] : others));

/** A body: blocks with a random line ending per line, each ended by an empty line. */
const bodyArb = fc.tuple(blocksArb, fc.array(fc.constantFrom(...EOLS), { minLength: 64, maxLength: 64 })).map(([blocks, eols]) => {
  let n = 0;
  const eol = () => eols[n++ % eols.length]!;
  // After a lone CR the empty line must end with CR too, or CR + LF would read as one line ending.
  const text = blocks
    .map((lines) => {
      const event = lines.map((l) => l + eol()).join('');
      return event + (event.endsWith('\r') ? '\r' : eol());
    })
    .join('');
  return { body: enc(text) };
});

const cutsArb = (len: number) => fc.uniqueArray(fc.integer({ min: 0, max: Math.max(0, len) }), { maxLength: 12 }).map((c) => c.sort((a, b) => a - b));

function parseAll(text: string): EventSourceMessage[] {
  const events: EventSourceMessage[] = [];
  const p = createParser({ onEvent: (e) => events.push(e) });
  p.feed(text);
  return events;
}

test('property: any chunking (mid-line, mid-CRLF, mid-UTF-8) gives the output of the whole body', () => {
  fc.assert(
    fc.property(
      bodyArb.chain((b) => fc.tuple(fc.constant(b), cutsArb(b.body.length))),
      ([{ body }, cuts]) => {
        assert.equal(run(body, cuts), run(body));
      },
    ),
    { numRuns: 1000 },
  );
});

test('property: the output reads as the input with only the response filtered', () => {
  fc.assert(
    fc.property(bodyArb, ({ body }) => {
      const before = parseAll(dec(body));
      const after = parseAll(run(body));
      assert.equal(after.length, before.length);
      before.forEach((e, i) => {
        const out = after[i]!;
        assert.equal(out.id, e.id);
        assert.equal(out.event, e.event);
        const msg = JSON.parse(e.data) as { id?: unknown; result?: { tools: { name: string }[]; cacheScope?: string } };
        if (msg.id !== 1 || !msg.result) return assert.equal(out.data, e.data);
        const want = { ...msg.result, tools: msg.result.tools.filter((t) => !t.name.startsWith('secret')) };
        if (want.cacheScope === 'public') want.cacheScope = 'private';
        assert.deepEqual(JSON.parse(out.data), { ...msg, result: want });
      });
    }),
    { numRuns: 500 },
  );
});

test('property: when nothing is hidden the bytes come back identical', () => {
  fc.assert(
    fc.property(bodyArb.chain((b) => fc.tuple(fc.constant(b), cutsArb(b.body.length))), ([{ body }, cuts]) => {
      const rw = new SseListRewriter('tools/list', 1, () => true);
      const out: Uint8Array[] = [];
      let at = 0;
      for (const end of [...cuts, body.length]) {
        out.push(rw.push(body.subarray(at, end)));
        at = end;
      }
      out.push(rw.end());
      const text = dec(body);
      // Only a public cacheScope forces a rewrite when nothing is hidden.
      if (!text.includes('"public"')) assert.deepEqual(Buffer.concat(out), Buffer.from(body));
    }),
    { numRuns: 500 },
  );
});
