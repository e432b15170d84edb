// The real `mcpgw bridge` process: usage errors, and SIGTERM with live sessions, per-session and
// --shared (drain, then every child and its process group killed and reaped, the process exits 0).
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { FAULTS, INITIALIZE, REPO_ROOT, alive, connect, post, text, until } from './harness.js';

const CLI = ['--import', 'tsx', 'src/cli/main.ts', 'bridge'];

/** `mcpgw bridge` as its own process around fault-server.mjs, its JSON log lines collected. */
async function startCli(flags: string[]) {
  const proc = spawn(process.execPath, [...CLI, '--host', '127.0.0.1', '--port', '0', ...flags, '--', ...FAULTS], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Array<Record<string, unknown>> = [];
  createInterface({ input: proc.stdout }).on('line', (l) => logs.push(JSON.parse(l) as Record<string, unknown>));
  const exited = new Promise<number | null>((r) => proc.once('close', r));
  const port = await until('the bridge listens', () => logs.find((l) => l.msg === 'bridge listening')?.port as number | undefined).catch((err: unknown) => {
    proc.kill('SIGKILL');
    throw err;
  });
  return { proc, logs, exited, url: `http://127.0.0.1:${port}/mcp` };
}

describe('mcpgw bridge CLI', () => {
  it('rejects a missing command and bad flags with exit 2 and the usage', async () => {
    for (const args of [['--port', '1'], ['--port', 'x', '--', 'node'], ['--path', 'mcp', '--', 'node'], ['--bogus', '--', 'node'], ['--legacy-sse', '--path', '/sse', '--', 'node']]) {
      const err = await promisify(execFile)(process.execPath, [...CLI, ...args], { cwd: REPO_ROOT }).then(
        () => assert.fail(`accepted ${args.join(' ')}`),
        (e: { code: number; stderr: string }) => e,
      );
      assert.equal(err.code, 2, args.join(' '));
      assert.match(err.stderr, /mcpgw: .+\n[\s\S]*mcpgw bridge/);
    }
  });

  it('SIGTERM with live sessions: a call still running after the grace period gets an error, every child is killed and reaped, exit 0', async () => {
    const { proc, logs, exited, url } = await startCli(['--grace-ms', '300']);
    try {
      const a = await connect(url);
      const b = await connect(url);
      const pids = await Promise.all([a, b].map(async (s) => Number(text(await s.client.callTool({ name: 'pid', arguments: {} })))));
      const hanging = a.client.callTool({ name: 'hang', arguments: {} }, undefined, { timeout: 60_000 }).then(() => undefined, (e: unknown) => e);
      await until('the call is in flight', () => logs.some((l) => l.stderr === 'fault-server: hang call started'));
      proc.kill('SIGTERM');
      const err = await hanging;
      assert.ok(err instanceof McpError, String(err));
      assert.equal(err.code, -31502);
      assert.match(err.message, /shutting down/);
      assert.equal(await exited, 0);
      for (const pid of pids) {
        assert.equal(alive(pid), false, `child ${pid} still running`);
        assert.equal(alive(-pid), false, `process group ${pid} still has members`);
      }
      assert.ok(logs.some((l) => l.reason === 'shutdown'));
    } finally {
      proc.kill('SIGKILL');
    }
  });

  it('SIGTERM with --shared: no new sessions, a call in flight finishes within the grace period, one still running after the grace period gets an error, the one child and its group are gone, exit 0', async () => {
    const { proc, logs, exited, url } = await startCli(['--shared', '--grace-ms', '3000']);
    try {
      const [a, b] = [await connect(url), await connect(url)];
      const pids = await Promise.all([a, b].map(async (s) => Number(text(await s.client.callTool({ name: 'pid', arguments: {} })))));
      assert.equal(pids[0], pids[1], 'one child for both sessions');
      const pid = pids[0] ?? 0;
      const hanging = a.client.callTool({ name: 'hang', arguments: {} }, undefined, { timeout: 60_000 }).then(() => undefined, (e: unknown) => e);
      const slow = b.client.callTool({ name: 'slow', arguments: { ms: 1000 } });
      await until('both calls are in flight', () => ['hang', 'slow'].every((t) => logs.some((l) => l.stderr === `fault-server: ${t} call started`)));
      proc.kill('SIGTERM');
      await until('the bridge is draining', () => logs.some((l) => l.msg === 'signal received; draining'));
      const refused = await post(url, INITIALIZE()).then((r) => r.status, () => 'connection refused');
      assert.ok(refused === 503 || refused === 'connection refused', String(refused));
      assert.equal(text(await slow), 'slept 1000 ms', 'a call in flight still finishes within the grace period');
      const err = await hanging;
      assert.ok(err instanceof McpError, String(err));
      assert.equal(err.code, -31502);
      assert.match(err.message, /shutting down/);
      assert.equal(await exited, 0);
      assert.equal(alive(pid), false, `child ${pid} still running`);
      assert.equal(alive(-pid), false, `process group ${pid} still has members`);
    } finally {
      proc.kill('SIGKILL');
    }
  });
});
