// The compact binding record: what Redis stores per session, read back exactly, and older JSON
// records (rolling upgrades) still read.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeBinding, encodeBinding } from '../../src/sessions/codec.js';
import type { SessionBinding } from '../../src/sessions/index.js';

const base: SessionBinding = { id: '5e550000-0000-4000-8000-000000000001', server: 'docs', kind: 'streamable', pod: '10.0.0.5:8080', revision: '2025-06-18', createdAt: 1_790_000_000_000, lastSeenAt: 1_790_000_123_456 };

test('a plain binding is 36 bytes, holds neither id nor server, and reads back equal', () => {
  const v = encodeBinding(base);
  assert.equal(v, '10.0.0.5:8080 S250618 mubbs7i8 +2n9c');
  assert.equal(v.length, 36);
  assert.ok(encodeBinding({ ...base, pod: '10.123.234.123:8080', lastSeenAt: base.createdAt + 86_400_000 }).length <= 44, 'a long IPv4 pod a day later');
  assert.ok(v.length <= 44, 'Redis stores values up to 44 bytes inline with their header');
  assert.deepEqual(decodeBinding(v, 'docs', base.id), base);
});

test('optional fields, odd revisions and every kind round-trip', () => {
  const id = fc.stringMatching(/^[\x21-\x7e]{1,40}$/);
  fc.assert(
    fc.property(
      fc.record({
        id,
        pod: id.filter((p) => !p.startsWith('{')),
        kind: fc.constantFrom('streamable' as const, 'legacy-sse' as const, 'task' as const),
        revision: fc.oneof(fc.string({ maxLength: 20 }), fc.stringMatching(/^20\d\d-\d\d-\d\d$/)),
        createdAt: fc.nat(),
        lastSeenAt: fc.nat(),
        affinityKey: fc.option(fc.string(), { nil: undefined }),
        principal: fc.option(fc.string(), { nil: undefined }),
        handshake: fc.option(fc.string({ maxLength: 100 }), { nil: undefined }),
        upstreamId: fc.option(id, { nil: undefined }),
        recoveries: fc.option(fc.nat(), { nil: undefined }),
      }),
      (r) => {
        const b = Object.fromEntries(Object.entries({ ...r, server: 'files' }).filter(([, v]) => v !== undefined)) as unknown as SessionBinding;
        assert.deepEqual(decodeBinding(encodeBinding(b), 'files', b.id), b);
      },
    ),
  );
});

test('a pod starting with "{" (which would read as an old JSON record) is refused', () => {
  assert.throws(() => encodeBinding({ ...base, pod: '{x' }), /pod must not start with/);
});

test('reads the records of earlier versions, and refuses what is not a binding of that key', () => {
  assert.deepEqual(decodeBinding('10.0.0.5:8080 s2025-06-18 mubbs7i8 mubbuurk', 'docs', base.id), base, 'absolute times, literal revision');
  assert.deepEqual(decodeBinding(JSON.stringify({ ...base, principal: 'alice' }), 'docs', base.id), { ...base, principal: 'alice' });
  assert.equal(decodeBinding(JSON.stringify(base), 'docs', 'another-id'), undefined, 'a JSON record of another session');
  for (const junk of ['', 'x', '10.0.0.1:80 q2025 1 1', '10.0.0.1:80 s2025 1', '10.0.0.1:80 s2025 1 1 {not json', '10.0.0.1:80 S2506 1 1', '10.0.0.1:80 S25061x 1 +1', '{"id":1}']) assert.equal(decodeBinding(junk, 'docs', base.id), undefined, JSON.stringify(junk));
});
