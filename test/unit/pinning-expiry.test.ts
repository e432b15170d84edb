// SessionPinning with the in-memory registry on an injected clock: a session past its sliding TTL is
// an unknown session (404 -32001, no affinity header), its end is reported as 'expired', and it no
// longer counts as live on its pod. No sleeping: the clock is moved by hand.
import assert from 'node:assert/strict';
import { before, beforeEach, describe, it } from 'node:test';
import { parseConfig } from '../../src/config/index.js';
import { SessionPinning, type HttpRequestView, type PinPlan } from '../../src/core/index.js';
import type { PinResult } from '../../src/core/pinning.js';
import { revisionOf, type McpMessage } from '../../src/mcp/index.js';
import { MemoryDrainMarks, PodDirectory, loadXxh64, type Xxh64 } from '../../src/routing/index.js';
import { MemorySessionRegistry, type SessionBinding, type SessionEndReason } from '../../src/sessions/index.js';
import { createLogger } from '../../src/telemetry/index.js';

const PODS = ['10.0.0.1:8080', '10.0.0.2:8080', '10.0.0.3:8080'];
const TTL_SECONDS = 60;
const HOUR = 3_600_000;

function config() {
  const r = parseConfig(
    JSON.stringify({
      listen: { grpc: '127.0.0.1:0', http: '127.0.0.1:0' },
      sessions: { ttlSeconds: TTL_SECONDS },
      servers: [{ name: 'demo', match: { hosts: ['mcp'], pathPrefix: '/' }, endpoints: { static: PODS } }],
    }),
  );
  if (!r.ok) throw new Error(r.problems.join('\n'));
  return r.config;
}

function view(method: string, headers: Record<string, string>): HttpRequestView {
  return { method, path: '/mcp', authority: 'mcp', header: (n) => headers[n], body: null };
}

const SERVER = { name: 'demo', affinityHeader: 'x-mcp-affinity', mode: 'hash' as const };
const REVISION = revisionOf('2025-11-25');

describe('SessionPinning: expired sessions', () => {
  let xxh: Xxh64;
  let t: number;
  let registry: MemorySessionRegistry;
  let pinning: SessionPinning;
  let ended: Array<{ id: string; reason: SessionEndReason }>;
  let pods: PodDirectory;

  before(async () => {
    xxh = await loadXxh64();
  });

  beforeEach(() => {
    t = Date.UTC(2026, 0, 1);
    const now = () => t;
    registry = new MemorySessionRegistry({ ttlMs: TTL_SECONDS * 1000, now });
    ended = [];
    registry.onEnded((b: SessionBinding, reason) => ended.push({ id: b.id, reason }));
    pods = new PodDirectory(config(), { xxh, drains: new MemoryDrainMarks(HOUR, now), logger: createLogger('silent'), now });
    pods.start();
    pinning = new SessionPinning({
      registry,
      pods,
      now,
      whenUnavailable: 'fail-closed',
      events: { created: () => undefined, ended: () => undefined, corrected: () => undefined, misrouted: () => undefined, recovered: () => undefined, storeUnavailable: () => undefined },
    });
  });

  /** initialize through the request and response phases, as the pod `served` answers it with `id`. */
  async function open(id: string): Promise<string> {
    const init: McpMessage = { kind: 'request', id: 0, method: 'initialize' };
    const r = await pinning.pinRequest({ server: SERVER, view: view('POST', {}), revision: REVISION, messages: [init] });
    assert.ok('plan' in r && r.plan.kind === 'new' && r.plan.intendedPod, 'a new session gets a pod');
    const plan = r.plan as Extract<PinPlan, { kind: 'new' }>;
    const step = await pinning.onResponseHeaders(plan, { status: 200, header: (n) => (n === 'mcp-session-id' ? id : undefined), upstreamAddress: plan.intendedPod });
    assert.deepEqual(step, { kind: 'continue' });
    return plan.intendedPod!;
  }

  function follow(id: string, requestId = 7): Promise<PinResult> {
    const call: McpMessage = { kind: 'request', id: requestId, method: 'tools/list' };
    return pinning.pinRequest({ server: SERVER, view: view('POST', { 'mcp-session-id': id }), revision: REVISION, messages: [call] });
  }

  /** Lets fire-and-forget registry writes (touch, delete) settle. */
  const settle = () => new Promise((r) => setImmediate(r));

  it('within its TTL a session is pinned; the TTL slides with each request', async () => {
    const pod = await open('s-1');
    for (let i = 0; i < 5; i++) {
      t += (TTL_SECONDS - 5) * 1000; // each step alone is short of the TTL; together far beyond it
      const r = await follow('s-1');
      assert.ok('plan' in r && r.plan.kind === 'bound', `request ${i} is bound`);
      assert.equal(r.plan.kind === 'bound' && r.plan.binding.pod, pod);
      assert.equal(pods.pods('demo')?.hostFor(r.affinity!.value), pod, 'the header lands on the session pod');
      await settle();
    }
    assert.deepEqual(ended, []);
  });

  it('past its TTL a session is unknown: 404 -32001 echoing the request id, no affinity header, ended as expired', async () => {
    const pod = await open('s-2');
    assert.equal((await registry.livePerPod('demo')).get(pod), 1);
    t += TTL_SECONDS * 1000 + 1;
    const r = await follow('s-2', 42);
    assert.ok('refusal' in r, 'refused');
    assert.equal(r.refusal.status, 404);
    assert.equal(r.refusal.code, -32001);
    assert.equal(r.refusal.message, 'Session not found');
    assert.equal(r.refusal.id, 42);
    assert.equal('affinity' in r, false, 'nothing is routed');
    await settle();
    assert.deepEqual(ended, [{ id: 's-2', reason: 'expired' }]);
    assert.equal((await registry.livePerPod('demo')).get(pod), undefined, 'no longer live on its pod');
    // Still unknown later: expiry is not undone by asking again.
    assert.ok('refusal' in (await follow('s-2')));
  });

  it('an expired session no longer weighs on its pod: the next new session may go there', async () => {
    const pod = await open('s-3');
    // Fill the other two pods so the expired session's pod would be the fullest if it still counted.
    const others: string[] = [];
    for (let i = 0; i < 4; i++) others.push(await open(`s-3-${i}`));
    assert.ok(!others.slice(0, 2).includes(pod), 'fewest-live placement avoids the occupied pod');
    t += TTL_SECONDS * 1000 + 1;
    // All expired now: every pod is equally empty again.
    assert.deepEqual(await registry.livePerPod('demo'), new Map());
    assert.ok(ended.every((e) => e.reason === 'expired') && ended.length === 5);
  });
});
