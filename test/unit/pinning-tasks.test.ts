// 2026-07-28 tasks: stateless requests are not pinned, but a task-creating tools/call binds the task
// id (from the result) to the pod that served it, and tasks/get with Mcp-Name: <taskId> is routed there.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { parseConfig } from '../../src/config/index.js';
import { SessionPinning, type HttpRequestView } from '../../src/core/index.js';
import { revisionOf, type McpMessage } from '../../src/mcp/index.js';
import { AffinityKeyTable, MemoryDrainMarks, PodDirectory, loadXxh64, type Xxh64 } from '../../src/routing/index.js';
import { MemorySessionRegistry } from '../../src/sessions/index.js';
import { createLogger } from '../../src/telemetry/index.js';

const PODS = ['10.0.0.1:8080', '10.0.0.2:8080', '10.0.0.3:8080'];
const SERVER = { name: 'demo', affinityHeader: 'x-mcp-affinity', mode: 'hash' as const };
const MODERN = revisionOf('2026-07-28');
const view = (h: Record<string, string> = {}): HttpRequestView => ({ method: 'POST', path: '/mcp', authority: 'mcp', header: (n) => h[n], body: null });

describe('SessionPinning: 2026-07-28 tasks', () => {
  let xxh: Xxh64;
  let pinning: SessionPinning;
  before(async () => {
    xxh = await loadXxh64();
    const r = parseConfig(JSON.stringify({ servers: [{ name: 'demo', match: { hosts: ['mcp'] }, endpoints: { static: PODS } }] }));
    if (!r.ok) throw new Error(r.problems.join('\n'));
    const pods = new PodDirectory(r.config, { xxh, drains: new MemoryDrainMarks(3_600_000), logger: createLogger('silent') });
    pods.start();
    pinning = new SessionPinning({
      registry: new MemorySessionRegistry({ ttlMs: 60_000 }),
      pods,
      whenUnavailable: 'fail-closed',
      events: { created: () => undefined, ended: () => undefined, corrected: () => undefined, misrouted: () => undefined, recovered: () => undefined, storeUnavailable: () => undefined },
    });
  });

  it('a plain stateless request is not pinned', async () => {
    const r = await pinning.pinRequest({ server: SERVER, view: view(), revision: MODERN, messages: [{ kind: 'request', id: 1, method: 'tools/list' }] });
    assert.ok('plan' in r && r.plan.kind === 'none' && !r.affinity);
  });

  it('the task a tools/call creates is routed to the pod that created it', async () => {
    const create: McpMessage = { kind: 'request', id: 2, method: 'tools/call', name: 'long_job', nameKind: 'tool', params: { name: 'long_job', task: { ttl: 60000 } } };
    const r = await pinning.pinRequest({ server: SERVER, view: view(), revision: MODERN, messages: [create] });
    assert.ok('plan' in r && r.plan.kind === 'task');
    const plan = r.plan;
    const response = { status: 200, header: (n: string) => (n === 'content-type' ? 'text/event-stream' : undefined), upstreamAddress: '10.0.0.2:8080' };
    assert.deepEqual(await pinning.onResponseHeaders(plan, response), { kind: 'continue', readBody: 'whole' });
    const body = Buffer.from(`event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: 2, result: { task: { taskId: 'task-42', status: 'working' } } })}\n\n`);
    assert.deepEqual(await pinning.bodyReader(plan, response)(body, true), { kind: 'continue' });

    const get: McpMessage = { kind: 'request', id: 3, method: 'tasks/get', name: 'task-42', nameKind: 'task', params: { taskId: 'task-42' } };
    const follow = await pinning.pinRequest({ server: SERVER, view: view({ 'mcp-name': 'task-42' }), revision: MODERN, messages: [get] });
    assert.ok('plan' in follow && follow.affinity, 'tasks/get carries an affinity key');
    assert.equal(AffinityKeyTable.build(PODS, { policy: 'ring_hash' }, xxh).hostFor(follow.affinity.value), '10.0.0.2:8080');
  });

  it('an unknown task is left to the server (404 means "method not found" in this era, not re-initialize)', async () => {
    const get: McpMessage = { kind: 'request', id: 4, method: 'tasks/get', name: 'nope', nameKind: 'task', params: { taskId: 'nope' } };
    const r = await pinning.pinRequest({ server: SERVER, view: view(), revision: MODERN, messages: [get] });
    assert.ok('plan' in r && !r.affinity);
  });
});
