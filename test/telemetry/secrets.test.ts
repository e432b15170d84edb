import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { SecretsGuard, secretRedactPaths } from '../../src/telemetry/auditSecrets.js';
import { LineSink } from './lines.js';
import { scanForSecrets } from './secrets.js';

const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.test-token-payload.sig';
const API_KEY = 'mcpgw_test_api_key_4f1c9a';
const INJECTED = 'upstream-"quoted"\\secret';

function guardedLogger(guard: SecretsGuard) {
  const sink = new LineSink();
  return { log: pino({ level: 'info', ...guard.loggerOptions() }, sink), sink };
}

describe('SecretsGuard', () => {
  test('credential headers are redacted at the top level, under headers and one level deeper', () => {
    const guard = new SecretsGuard(['x-tenant-key']);
    const { log, sink } = guardedLogger(guard);
    log.info({ headers: { authorization: `Bearer ${TOKEN}`, 'x-api-key': API_KEY, 'x-tenant-key': API_KEY, accept: 'application/json' } }, 'request');
    log.info({ req: { headers: { cookie: `sid=${API_KEY}`, dpop: TOKEN } } }, 'nested');
    log.info({ authorization: `Bearer ${TOKEN}`, upstream: { token: TOKEN, password: API_KEY } }, 'fields');
    assert.deepEqual(scanForSecrets(sink.raw, [TOKEN, API_KEY]), []);
    assert.equal((sink.objects[0]!['headers'] as Record<string, string>)['accept'], 'application/json');
    assert.equal((sink.objects[0]!['headers'] as Record<string, string>)['authorization'], '[REDACTED]');
  });

  test('registered secrets are scrubbed wherever they appear, JSON-escaped ones included', () => {
    const guard = new SecretsGuard();
    const { log, sink } = guardedLogger(guard);
    guard.register(INJECTED); // after the logger exists: the scrub reads the live set
    log.warn({ detail: { text: `upstream said ${INJECTED}` } }, `retrying with ${INJECTED}`);
    assert.deepEqual(scanForSecrets(sink.raw, [INJECTED]), []);
    assert.match(sink.raw[0]!, /retrying with \[REDACTED\]/);
  });

  test('secrets too short to scrub safely are refused', () => {
    assert.throws(() => new SecretsGuard().register('short'), RangeError);
  });

  test('header names that are not identifiers get bracket paths pino accepts', () => {
    assert.ok(secretRedactPaths().includes('headers["x-api-key"]'));
    assert.doesNotThrow(() => pino({ redact: secretRedactPaths(['x-custom-key']) }, new LineSink()));
  });
});

describe('scanForSecrets', () => {
  test('finds raw, JSON-escaped, percent-encoded and base64 forms, without printing the secret', () => {
    const basic = Buffer.from(`user:${API_KEY}`).toString('base64');
    const text = [
      `{"msg":"ok"}`,
      `{"authorization":"Bearer ${TOKEN}"}`,
      `{"v":${JSON.stringify(INJECTED)}}`,
      `{"url":"/cb?k=${encodeURIComponent(INJECTED)}"}`,
      `{"b":"${Buffer.from(API_KEY).toString('base64')}"}`,
      `{"basic":"Basic ${basic}"}`,
    ].join('\n');
    const findings = scanForSecrets(text, [TOKEN, API_KEY, INJECTED]);
    assert.deepEqual(findings.map((f) => [f.line, f.secretIndex, f.encoding]), [[2, 0, 'raw'], [3, 2, 'json'], [4, 2, 'percent'], [5, 1, 'base64']]);
    assert.ok(findings.every((f) => !f.masked.includes(TOKEN.slice(3, 10))));
  });
});
