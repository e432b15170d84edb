// Framing of a child's output: lines split anywhere across chunks come out whole; a line over the
// bound is reported once and dropped up to its newline, and the lines after it still arrive.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { LineSplitter } from '../../src/bridge/lines.js';

function split(chunks: string[], max: number) {
  const lines: string[] = [];
  const overflows: number[] = [];
  const s = new LineSplitter(max, { line: (l) => lines.push(l), overflow: (n) => overflows.push(n) });
  for (const c of chunks) s.push(Buffer.from(c));
  s.end();
  return { lines, overflows };
}

describe('LineSplitter', () => {
  it('reassembles lines however the bytes are chunked (CRLF, blank lines, a last line without newline)', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-z{}":,0-9 ]{1,20}$/), { maxLength: 8 }), fc.array(fc.nat(60), { maxLength: 6 }), (lines, cuts) => {
        const text = lines.map((l, i) => (i % 2 ? `${l}\r\n\n` : `${l}\n`)).join('');
        const points = [...new Set(cuts.map((c) => Math.min(c, text.length)))].sort((a, b) => a - b);
        const chunks = [0, ...points].map((p, i, all) => text.slice(p, all[i + 1] ?? text.length));
        assert.deepEqual(split(chunks, 1000).lines, lines.filter((l) => l.trim() !== ''));
      }),
    );
    assert.deepEqual(split(['{"a":1}\n{"b"', ':2}'], 100).lines, ['{"a":1}', '{"b":2}']);
  });

  it('drops a line over the bound, reports it once, and keeps the next lines', () => {
    const r = split(['short\n', 'x'.repeat(30), 'y'.repeat(30), 'z\nafter\n'], 40);
    assert.deepEqual(r.lines, ['short', 'after']);
    assert.equal(r.overflows.length, 1);
  });
});
