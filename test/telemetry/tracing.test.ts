import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { incomingTrace, parseTraceparent, parseTracestate, startTracing, TRACING_OFF, upstreamTraceHeaders } from '../../src/telemetry/tracing.js';

const TID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SID = '00f067aa0ba902b7';
const TP = `00-${TID}-${SID}-01`;
const headers = (h: Record<string, string>) => (name: string) => h[name];

describe('traceparent', () => {
  test('a valid version-00 header parses', () => {
    assert.deepEqual(parseTraceparent(TP), { traceId: TID, spanId: SID, flags: 1 });
  });

  test('invalid values are ignored, as the spec requires', () => {
    for (const bad of [
      undefined, '', `00-${TID}-${SID}`, `00-${TID.toUpperCase()}-${SID}-01`, `00-${'0'.repeat(32)}-${SID}-01`, `00-${TID}-${'0'.repeat(16)}-01`,
      `ff-${TID}-${SID}-01`, `00-${TID}-${SID}-01-extra`, `${TP},${TP}` /* two headers joined */, `0x-${TID}-${SID}-01`,
    ]) {
      assert.equal(parseTraceparent(bad), undefined, String(bad));
    }
  });

  test('a later version may carry more fields after a dash', () => {
    assert.deepEqual(parseTraceparent(`01-${TID}-${SID}-03-future`), { traceId: TID, spanId: SID, flags: 3 });
    assert.equal(parseTraceparent(`01-${TID}-${SID}-03future`), undefined);
  });

  test('tracestate keeps well-formed lists and drops malformed or oversized ones', () => {
    assert.equal(parseTracestate('congo=t61rcWkgMzE, rojo=00f067aa0ba902b7'), 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7');
    assert.equal(parseTracestate('tenant@vendor=x'), 'tenant@vendor=x');
    assert.equal(parseTracestate('Bad=x'), undefined);
    assert.equal(parseTracestate('k=v=w,'), undefined);
    assert.equal(parseTracestate(Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(',')), undefined);
    assert.equal(parseTracestate(`k=${'v'.repeat(600)}`), undefined);
  });
});

describe('the request\'s trace', () => {
  test('the header wins over _meta', () => {
    const meta = { traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01` };
    assert.deepEqual(incomingTrace(headers({ traceparent: TP, tracestate: 'k=v' }), meta), { traceId: TID, spanId: SID, flags: 1, tracestate: 'k=v', source: 'header' });
  });

  test('_meta.traceparent and tracestate are used when the header is absent or invalid', () => {
    const meta = { traceparent: TP, tracestate: 'k=v', progressToken: 1 };
    assert.deepEqual(incomingTrace(headers({}), meta), { traceId: TID, spanId: SID, flags: 1, tracestate: 'k=v', source: 'meta' });
    assert.equal(incomingTrace(headers({ traceparent: 'garbage' }), meta)?.source, 'meta');
    assert.equal(incomingTrace(headers({}), { traceparent: 42 }), undefined);
    assert.equal(incomingTrace(headers({}), undefined), undefined);
  });
});

describe('headers set upstream', () => {
  const own = { traceId: TID, spanId: '1111111111111111', flags: 1 };

  test('a client header is never touched, even with a decision span', () => {
    assert.deepEqual(upstreamTraceHeaders(incomingTrace(headers({ traceparent: TP }), undefined), own), []);
  });

  test('a trace from _meta is copied to the HTTP headers (as is, or under mcpgw\'s span)', () => {
    const fromMeta = incomingTrace(headers({}), { traceparent: TP, tracestate: 'k=v' });
    assert.deepEqual(upstreamTraceHeaders(fromMeta, undefined), [{ name: 'traceparent', value: TP }, { name: 'tracestate', value: 'k=v' }]);
    assert.deepEqual(upstreamTraceHeaders(fromMeta, own), [{ name: 'traceparent', value: `00-${TID}-1111111111111111-01` }, { name: 'tracestate', value: 'k=v' }]);
  });

  test('without a client trace, only a decision span starts one; otherwise nothing is set', () => {
    assert.deepEqual(upstreamTraceHeaders(undefined, { ...own, flags: 0 }), [{ name: 'traceparent', value: `00-${TID}-1111111111111111-00` }]);
    assert.deepEqual(upstreamTraceHeaders(undefined, undefined), []);
  });
});

describe('tracing off', () => {
  test('no endpoint: the shared disabled instance, recording nothing', async () => {
    const t = await startTracing({});
    assert.equal(t, TRACING_OFF);
    assert.equal(t.enabled, false);
    assert.equal(t.recordDecision({ durationMs: 1, hook: 'ext_authz', decision: 'allow', reason: 'allowed' }), undefined);
  });

  test('a bad sample ratio is refused', async () => {
    await assert.rejects(startTracing({ otlpEndpoint: 'http://127.0.0.1:1', sampleRatio: 2 }), RangeError);
  });

  // Zero cost when off means the SDK is never loaded: no module reachable through static imports from
  // the telemetry module imports @opentelemetry; only startTracing's dynamic import does.
  test('no static import chain from src/telemetry reaches @opentelemetry', () => {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
    const seen = new Set<string>();
    const offenders: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, 'utf8');
      // Static imports and re-exports; `import type` is erased at compile time.
      for (const m of source.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^;]*?\bfrom\s+'([^']+)'/gms)) {
        const spec = m[1]!;
        if (spec.startsWith('@opentelemetry/')) offenders.push(`${path.relative(root, file)} imports ${spec}`);
        if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')));
      }
    };
    visit(path.join(root, 'src/telemetry/index.ts'));
    assert.ok(seen.has(path.join(root, 'src/telemetry/tracing.ts')));
    assert.ok(!seen.has(path.join(root, 'src/telemetry/tracingOtel.ts')));
    assert.deepEqual(offenders, []);
  });
});
