import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import type { Decision } from '../../src/core/index.js';
import { AuditLog, auditFieldsOf, isAudited, type AuditOptions } from '../../src/telemetry/audit.js';
import { canonicalJson, SessionIdHasher } from '../../src/telemetry/auditHash.js';
import { SecretsGuard } from '../../src/telemetry/auditSecrets.js';
import { LineSink } from './lines.js';

const SALT = 'audit-test-salt-0123456789';
const ARGS = { city: 'Paris', password: 'hunter2-hunter2', credentials: { user: 'u', key: 'k' }, items: [{ secret: 's1', keep: 1 }, { secret: 's2' }] };

function auditTo(opts: Partial<AuditOptions> = {}): { audit: AuditLog; sink: LineSink } {
  const sink = new LineSink();
  return { audit: new AuditLog({ destination: { stream: sink }, arguments: 'omit', salt: SALT, ...opts }), sink };
}

const toolCall = {
  requestId: 'req-1', traceId: '4bf92f3577b34da6a3ce929d0e0e4736', principal: 'jwt:https://idp#alice', tenant: 'acme',
  server: 'files', method: 'tools/call', name: 'read_file', decision: 'allow' as const, reason: 'allowed', status: 200,
  pod: '10.0.0.7:8080', sessionId: 'session-abc', latencyMs: 0.42, arguments: ARGS,
};

describe('audit log lines', () => {
  test('a tools/call line carries every field, the session id only as its keyed hash', () => {
    const { audit, sink } = auditTo({ instance: 'mcpgw-7d9f' });
    assert.equal(audit.record(toolCall), true);
    const [line] = sink.objects;
    const { time, ...rest } = line!;
    assert.match(String(time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.deepEqual(rest, {
      log: 'audit', instance: 'mcpgw-7d9f', event: 'decision', requestId: 'req-1', traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      principal: 'jwt:https://idp#alice', tenant: 'acme', server: 'files', method: 'tools/call', name: 'read_file',
      decision: 'allow', reason: 'allowed', status: 200, pod: '10.0.0.7:8080', latencyMs: 0.42,
      sessionIdHash: createHmac('sha256', SALT).update('session-abc').digest('hex').slice(0, 16),
    });
    assert.ok(!sink.raw[0]!.includes('session-abc'));
    assert.ok(!sink.raw[0]!.includes('Paris'), 'arguments are omitted by default');
  });

  test('only decisions that matter are written: audited methods, every denial, batches holding one', () => {
    assert.equal(isAudited('tools/call', 'allow'), true);
    assert.equal(isAudited('resources/read', 'allow'), true);
    assert.equal(isAudited('prompts/get', 'allow'), true);
    assert.equal(isAudited('tools/list', 'allow'), false);
    assert.equal(isAudited(undefined, 'allow'), false);
    assert.equal(isAudited('tools/list', 'deny'), true);
    assert.equal(isAudited(undefined, 'deny'), true);
    assert.equal(isAudited('tools/list,tools/call', 'allow'), true);
    const { audit, sink } = auditTo();
    assert.equal(audit.record({ method: 'tools/list', decision: 'allow', reason: 'allowed' }), false);
    assert.equal(sink.raw.length, 0);
  });

  test('arguments: hash is the SHA-256 of canonical JSON (key order does not matter)', () => {
    const { audit, sink } = auditTo({ arguments: 'hash' });
    audit.record(toolCall);
    audit.record({ ...toolCall, arguments: { items: ARGS.items, credentials: { key: 'k', user: 'u' }, password: ARGS.password, city: 'Paris' } });
    const [a, b] = sink.objects;
    assert.equal(a!['argumentsSha256'], createHash('sha256').update(canonicalJson(ARGS)).digest('hex'));
    assert.equal(a!['argumentsSha256'], b!['argumentsSha256']);
    assert.equal(a!['arguments'], undefined);
    assert.ok(!sink.raw.join('\n').includes('hunter2'));
  });

  test('arguments: redact replaces the configured paths and keeps the rest', () => {
    const { audit, sink } = auditTo({ arguments: { redact: ['$.password', '$.credentials.*', '$.items[*].secret'] } });
    audit.record(toolCall);
    assert.deepEqual(sink.objects[0]!['arguments'], {
      city: 'Paris', password: '[REDACTED]', credentials: { user: '[REDACTED]', key: '[REDACTED]' },
      items: [{ secret: '[REDACTED]', keep: 1 }, { secret: '[REDACTED]' }],
    });
    assert.equal(ARGS.password, 'hunter2-hunter2', 'the caller\'s object is not changed');
  });

  test('arguments: redacted arguments over maxArgumentsBytes become their hash', () => {
    const { audit, sink } = auditTo({ arguments: { redact: [] }, maxArgumentsBytes: 64 });
    const big = { blob: 'x'.repeat(100) };
    audit.record({ ...toolCall, arguments: big });
    const [line] = sink.objects;
    assert.equal(line!['arguments'], undefined);
    assert.equal(line!['argumentsTruncated'], true);
    assert.equal(line!['argumentsSha256'], createHash('sha256').update(canonicalJson(big)).digest('hex'));
  });

  test('an invalid redact path fails at construction, not on the request path', () => {
    assert.throws(() => auditTo({ arguments: { redact: ['password'] } }), /must start with "\$"/);
  });

  test('session start and end lines', () => {
    const { audit, sink } = auditTo();
    audit.sessionStarted({ sessionId: 'sess-1', server: 'files', pod: '10.0.0.7:8080', kind: 'streamable', principal: 'apikey:ci', requestId: 'r' });
    audit.sessionEnded({ sessionId: 'sess-1', server: 'files', pod: '10.0.0.7:8080', reason: 'pod_gone', durationMs: 1500 });
    const [start, end] = sink.objects;
    assert.equal(start!['event'], 'session.start');
    assert.equal(end!['event'], 'session.end');
    assert.equal(end!['reason'], 'pod_gone');
    assert.equal(start!['sessionIdHash'], end!['sessionIdHash']);
    assert.ok(!sink.raw.join('\n').includes('sess-1'));
  });

  test('registered secrets never reach a line, even inside redacted arguments', () => {
    const secrets = new SecretsGuard();
    secrets.register('upstream-credential-XYZ123');
    const { audit, sink } = auditTo({ secrets, arguments: { redact: [] } });
    audit.record({ ...toolCall, arguments: { note: 'token upstream-credential-XYZ123 leaked' } });
    assert.ok(!sink.raw[0]!.includes('upstream-credential-XYZ123'));
    assert.match(sink.raw[0]!, /token \[REDACTED\] leaked/);
  });

  test('a file destination is created with its directory and flushed by close()', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mcpgw-audit-'));
    try {
      const file = path.join(dir, 'nested', 'audit.jsonl');
      const audit = new AuditLog({ destination: { file }, arguments: 'omit' });
      for (let i = 0; i < 3; i++) audit.record({ ...toolCall, requestId: `r${i}` });
      await audit.close();
      const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { requestId: string });
      assert.deepEqual(lines.map((l) => l.requestId), ['r0', 'r1', 'r2']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('session id hashes', () => {
  test('a configured salt gives the same hash on every replica; none gives a per-process key', () => {
    assert.equal(new SessionIdHasher('s3cret-salt').hash('abc'), new SessionIdHasher('s3cret-salt').hash('abc'));
    const a = new SessionIdHasher();
    const b = new SessionIdHasher();
    assert.equal(a.perProcess, true);
    assert.notEqual(a.hash('abc'), b.hash('abc'));
    assert.match(a.hash('abc'), /^[0-9a-f]{16}$/);
  });
});

describe('auditFieldsOf', () => {
  const summary = { server: 'files', method: 'tools/call', name: 'rm', principal: 'apikey:ci' };
  test('a denial carries its reason and status', () => {
    const d: Decision = { kind: 'deny', status: 403, headers: [], body: '', reason: 'tool_denied', summary };
    assert.deepEqual(auditFieldsOf(d), { ...summary, decision: 'deny', reason: 'tool_denied', status: 403 });
  });
  test('an allow is "allowed", with the principal\'s tenant', () => {
    const d: Decision = {
      kind: 'allow', setHeaders: [], removeHeaders: [], summary: { ...summary, principal: undefined },
      principal: { id: 'jwt:i#bob', kind: 'jwt', subject: 'bob', scopes: [], roles: [], groups: [], tenant: 'acme' },
    };
    assert.deepEqual(auditFieldsOf(d), { ...summary, principal: 'jwt:i#bob', tenant: 'acme', decision: 'allow', reason: 'allowed' });
  });
});

describe('audit lines are what pino writes', () => {
  // The audit log serializes its lines itself (one JSON.stringify); pino with the audit's options is
  // the reference, whatever well-formed strings hold (quotes, control characters, non-ASCII).
  const text = fc
    .oneof(fc.string({ unit: 'binary', maxLength: 30 }), fc.string({ unit: fc.constantFrom('"', '\\', '\n', '\u0000', '\ud800', 'é', 'a', '</'), maxLength: 12 }))
    .filter((t) => !/\p{Cs}/u.test(t));
  const entry = fc.record(
    {
      requestId: text, traceId: text, principal: text, tenant: text, server: text, method: fc.constantFrom('tools/call', 'tools/list', 'prompts/get'),
      name: text, decision: fc.constantFrom('allow' as const, 'deny' as const), reason: text, status: fc.integer({ min: 100, max: 599 }),
      pod: text, sessionId: text, latencyMs: fc.double({ noNaN: true, noDefaultInfinity: true }), configVersion: text,
    },
    { requiredKeys: ['decision', 'reason', 'method'] },
  );
  const untimed = (line: string) => line.replace(/"time":"[^"]*"/, '"time":"T"');

  for (const secrets of [undefined, new SecretsGuard()]) {
    test(`decision and session lines${secrets ? ' (with the secrets guard)' : ''}`, () => {
      fc.assert(
        fc.property(entry, fc.constantFrom(undefined, 'mcpgw-7d9f', 'pod "x"'), (e, instance) => {
          const { audit, sink } = auditTo({ ...(instance ? { instance } : {}), ...(secrets ? { secrets } : {}) });
          const ref = new LineSink();
          const reference = pino({ level: 'info', base: instance ? { instance } : null, timestamp: () => ',"time":"T"', formatters: { level: () => ({ log: 'audit' }) }, ...secrets?.loggerOptions() }, ref);
          const { sessionId, ...fields } = e;
          const hash = sessionId !== undefined ? { sessionIdHash: audit.sessionIds.hash(sessionId) } : {};
          if (audit.record(e)) reference.info({ event: 'decision', ...fields, ...hash });
          audit.sessionStarted({ sessionId: e.sessionId ?? 's', server: e.server ?? 'x', pod: e.pod ?? 'p', ...(e.principal ? { principal: e.principal } : {}) });
          reference.info({ event: 'session.start', sessionId: undefined, server: e.server ?? 'x', pod: e.pod ?? 'p', ...(e.principal ? { principal: e.principal } : {}), sessionIdHash: audit.sessionIds.hash(e.sessionId ?? 's') });
          assert.deepEqual(sink.raw.map(untimed), ref.raw.map(untimed));
        }),
        { numRuns: 500 },
      );
    });
  }

  test('a lone surrogate (a JSON-escaped tool name) is written escaped, so the line reads back the name', () => {
    const { audit, sink } = auditTo();
    audit.record({ method: 'tools/call', name: 'x\ud800y', decision: 'deny', reason: 'tool_denied' });
    assert.equal(sink.objects[0]?.name, 'x\ud800y');
  });
});
