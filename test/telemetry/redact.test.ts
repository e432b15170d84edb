import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileJsonPath, redactJson } from '../../src/telemetry/auditRedact.js';

const redact = (value: unknown, ...paths: string[]) => redactJson(value, paths.map(compileJsonPath));
const R = '[REDACTED]';

describe('JSON path redaction', () => {
  test('a key, a nested key and a bracketed key with a dash', () => {
    assert.deepEqual(redact({ a: 1, b: { c: 2, d: 3 }, 'x-key': 4 }, '$.a', '$.b.c', "$['x-key']"), { a: R, b: { c: R, d: 3 }, 'x-key': R });
  });

  test('wildcards over members and elements, and an index', () => {
    assert.deepEqual(redact({ creds: { u: 1, p: 2 } }, '$.creds.*'), { creds: { u: R, p: R } });
    assert.deepEqual(redact({ items: [{ s: 1, k: 1 }, { s: 2 }, 'plain'] }, '$.items[*].s'), { items: [{ s: R, k: 1 }, { s: R }, 'plain'] });
    assert.deepEqual(redact({ items: [1, 2, 3] }, '$.items[1]'), { items: [1, R, 3] });
  });

  test('..name redacts that key at any depth, inside arrays too', () => {
    const value = { password: 1, nested: { password: 2, list: [{ password: 3 }, { other: { password: 4 } }] } };
    assert.deepEqual(redact(value, '$..password'), { password: R, nested: { password: R, list: [{ password: R }, { other: { password: R } }] } });
    assert.deepEqual(redact({ a: { token: { v: 1 } }, token: { v: 2 } }, '$..token.v'), { a: { token: { v: R } }, token: { v: R } });
  });

  test('paths that match nothing change nothing; "$" redacts the whole value', () => {
    assert.deepEqual(redact({ a: 1 }, '$.b.c', '$.a.b', '$.list[3]'), { a: 1 });
    assert.equal(redact({ a: 1 }, '$'), R);
  });

  test('malformed paths are rejected with where the problem is', () => {
    for (const bad of ['password', '$.', '$[abc]', '$..', "$['unterminated]", '$.a b']) {
      assert.throws(() => compileJsonPath(bad), /JSON path/, bad);
    }
  });
});
