// Children that misbehave: each fault gives the waiting client a JSON-RPC error, ends only its own
// session, and is logged with the session id. Fault tools live in fault-server.mjs (a real SDK server).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { FAULTS, INITIALIZE, connect, metric, post, startTestBridge, until, type TestBridge, alive, text } from './harness.js';

const rejectsWith = async (p: Promise<unknown>, code: number, message: RegExp) => {
  const err = await p.then(() => assert.fail('the call succeeded'), (e: unknown) => e);
  assert.ok(err instanceof McpError, String(err));
  assert.equal(err.code, code, err.message);
  assert.match(err.message, message);
};

describe('bridge faults', () => {
  let bridge: TestBridge;
  before(async () => {
    bridge = await startTestBridge(FAULTS, ['--max-line-bytes', '65536']);
  });
  after(() => bridge.close());

  it('a child that exits mid-call: error to the caller, 404 after, other sessions untouched, exit logged', async () => {
    const victim = await connect(bridge.url);
    const bystander = await connect(bridge.url);
    await rejectsWith(victim.client.callTool({ name: 'crash', arguments: {} }), -31502, /exited with code 3/);
    const r = await post(bridge.url, { jsonrpc: '2.0', id: 9, method: 'tools/list' }, { 'mcp-session-id': victim.sessionId });
    assert.equal(r.status, 404);
    assert.equal(text(await bystander.client.callTool({ name: 'echo', arguments: { text: 'fine' } })), 'fine');
    const mine = bridge.logs.filter((l) => l.session === victim.sessionId);
    assert.ok(mine.some((l) => l.stderr === 'fault-server: crashing on purpose'), 'stderr logged with the session id');
    assert.ok(mine.some((l) => l.exitCode === 3 && l.reason === 'exited'), 'exit code logged');
    await bystander.transport.terminateSession();
  });

  it('a child killed mid-call: the caller gets an error naming the signal', async () => {
    const s = await connect(bridge.url);
    const pid = Number(text(await s.client.callTool({ name: 'pid', arguments: {} })));
    const call = s.client.callTool({ name: 'hang', arguments: {} }, undefined, { timeout: 60_000 });
    await until('the call is in flight', () => bridge.logs.some((l) => l.session === s.sessionId && l.stderr === 'fault-server: hang call started'));
    process.kill(pid, 'SIGKILL');
    await rejectsWith(call, -31502, /killed by SIGKILL/);
    assert.ok(bridge.logs.some((l) => l.session === s.sessionId && l.signal === 'SIGKILL'));
  });

  it('a child that exits leaving a helper holding its stdout: the session still ends, the helper is killed', async () => {
    const s = await connect(bridge.url);
    await rejectsWith(s.client.callTool({ name: 'orphan', arguments: {} }), -31502, /exited with code 0/);
    const line = bridge.logs.find((l) => l.session === s.sessionId && typeof l.stderr === 'string' && l.stderr.startsWith('fault-server: helper pid='));
    const helper = Number(String(line?.stderr).split('=')[1]);
    assert.ok(helper > 0);
    await until('the helper is gone', () => !alive(helper));
  });

  it('a child that never answers: a timeout error, and the session still works', async () => {
    // Its own bridge: the short timeout bounds every request, initialize included.
    const short = await startTestBridge(FAULTS, ['--request-timeout-ms', '5000']);
    try {
      const s = await connect(short.url);
      await rejectsWith(s.client.callTool({ name: 'hang', arguments: {} }, undefined, { timeout: 60_000 }), -31504, /did not answer within 5000 ms/);
      assert.equal(text(await s.client.callTool({ name: 'echo', arguments: { text: 'after' } })), 'after');
      await s.transport.terminateSession();
    } finally {
      await short.close();
    }
  });

  it('a child that prints non-JSON on stdout: the line is dropped and logged, the answer still arrives', async () => {
    const s = await connect(bridge.url);
    assert.equal(text(await s.client.callTool({ name: 'garbage', arguments: {} })), 'answered after garbage');
    assert.ok(bridge.logs.some((l) => l.session === s.sessionId && l.line === 'this line is not JSON'));
    await s.transport.terminateSession();
  });

  it('a child that floods stdout without newlines: the session ends with an error, memory stays bounded', async () => {
    const s = await connect(bridge.url);
    const other = await connect(bridge.url);
    await rejectsWith(s.client.callTool({ name: 'flood', arguments: { bytes: 4 * 1024 * 1024 } }, undefined, { timeout: 60_000 }), -31502, /session ended/);
    assert.ok(bridge.logs.some((l) => l.session === s.sessionId && l.maxLineBytes === 65536));
    await until('the exit counted', async () => (await metric(bridge.base, 'mcpgw_bridge_exits_total', '{reason="protocol_error"}')) >= 1);
    assert.equal(text(await other.client.callTool({ name: 'echo', arguments: { text: 'unaffected' } })), 'unaffected');
    await other.transport.terminateSession();
  });
});

describe('bridge limits', () => {
  it('the cap: 503 with Retry-After beyond it, /readyz not ready until a session ends', async () => {
    const bridge = await startTestBridge(FAULTS, ['--max-sessions', '1', '--retry-after', '7']);
    try {
      assert.equal((await fetch(`${bridge.base}/readyz`)).status, 200);
      const first = await connect(bridge.url);
      const refused = await post(bridge.url, INITIALIZE());
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get('retry-after'), '7');
      assert.match(JSON.parse(refused.text).error.message, /cap/);
      const ready = await fetch(`${bridge.base}/readyz`);
      assert.equal(ready.status, 503);
      assert.match(await ready.text(), /cap of 1/);
      await assert.rejects(connect(bridge.url));
      await first.transport.terminateSession();
      await until('ready again', async () => (await fetch(`${bridge.base}/readyz`)).status === 200);
      const second = await connect(bridge.url);
      await second.transport.terminateSession();
    } finally {
      await bridge.close();
    }
  });

  it('requests in flight per session are bounded: 429 with Retry-After beyond it', async () => {
    const bridge = await startTestBridge(FAULTS, ['--max-in-flight', '1', '--grace-ms', '0']);
    try {
      const init = await post(bridge.url, INITIALIZE(), { accept: 'application/json' });
      const h = { 'mcp-session-id': init.headers.get('mcp-session-id') ?? '' };
      await post(bridge.url, { jsonrpc: '2.0', method: 'notifications/initialized' }, h);
      const call = (id: string, name: string) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: { text: 'x' } } });
      void post(bridge.url, call('h', 'hang'), h).catch(() => undefined);
      await until('the call is in flight', () => bridge.logs.some((l) => l.stderr === 'fault-server: hang call started'));
      const refused = await post(bridge.url, call('e', 'echo'), h);
      assert.equal(refused.status, 429);
      assert.ok(refused.headers.get('retry-after'));
      assert.match(JSON.parse(refused.text).error.message, /too many requests in flight/);
    } finally {
      await bridge.close();
    }
  });

  it('the idle timeout ends a session nobody uses; its id then gets 404', async () => {
    const bridge = await startTestBridge(FAULTS, ['--idle-timeout-ms', '200']);
    try {
      const init = await post(bridge.url, INITIALIZE(), { accept: 'application/json' });
      const h = { 'mcp-session-id': init.headers.get('mcp-session-id') ?? '' };
      // Waiting on the metric, not on requests: each request would count as activity.
      await until('the idle session ended', async () => (await metric(bridge.base, 'mcpgw_bridge_exits_total', '{reason="idle"}')) >= 1);
      assert.equal((await post(bridge.url, { jsonrpc: '2.0', id: 2, method: 'ping' }, h)).status, 404);
    } finally {
      await bridge.close();
    }
  });

  it('a command that cannot start: initialize gets a JSON-RPC error saying why', async () => {
    const bridge = await startTestBridge(['/nonexistent/stdio-server']);
    try {
      const r = await post(bridge.url, INITIALIZE(), { accept: 'application/json' });
      assert.equal(r.status, 200);
      const body = JSON.parse(r.text) as { id: number; error: { code: number; message: string } };
      assert.equal(body.id, 1);
      assert.equal(body.error.code, -31502);
      assert.match(body.error.message, /could not start: .*ENOENT/);
      await until('the failure counted', async () => (await metric(bridge.base, 'mcpgw_bridge_exits_total', '{reason="spawn_failed"}')) === 1);
      assert.equal(await metric(bridge.base, 'mcpgw_bridge_children_live'), 0);
    } finally {
      await bridge.close();
    }
  });

  it('the child sees only the allow-listed environment', async () => {
    const env = { PATH: process.env.PATH, HOME: '/tmp', SECRET_TOKEN: 'x', PASS_ME: '1', APP_COLOR: 'blue', APPLE: 'no' };
    const bridge = await startTestBridge(FAULTS, ['--pass-env', 'PASS_ME', '--pass-env', 'APP_*'], env);
    try {
      const s = await connect(bridge.url);
      const names = JSON.parse(text(await s.client.callTool({ name: 'env', arguments: {} })) ?? '[]') as string[];
      assert.ok(names.includes('PASS_ME') && names.includes('APP_COLOR') && names.includes('PATH'), names.join());
      assert.ok(!names.includes('SECRET_TOKEN') && !names.includes('APPLE'), names.join());
      await s.transport.terminateSession();
    } finally {
      await bridge.close();
    }
  });

  it('close drains: calls in flight finish within the grace period, then every child is reaped', async () => {
    const bridge = await startTestBridge(FAULTS, ['--grace-ms', '30000']);
    const s = await connect(bridge.url);
    const pid = Number(text(await s.client.callTool({ name: 'pid', arguments: {} })));
    const call = s.client.callTool({ name: 'slow', arguments: { ms: 300 } });
    await until('the call is in flight', () => bridge.logs.some((l) => l.stderr === 'fault-server: slow call started'));
    const closed = bridge.close();
    assert.equal(text(await call), 'slept 300 ms');
    await closed;
    assert.equal(alive(pid), false);
  });
});
