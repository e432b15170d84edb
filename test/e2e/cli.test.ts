// The real `mcpgw` CLI process: serve behind envoy-sim, check-config, flag/env precedence, SIGTERM.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { EnvoySim } from '../envoy-sim/index.js';
import { connectClient, startMcpPod, startMcpgwProcess, type McpPod, type McpgwProcess } from '../fixtures/index.js';
import { meshWiring } from './stack.js';

const run = promisify(execFile);
const CLI = ['--import', 'tsx', 'src/cli/main.ts'];

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [...CLI, ...args], { env: { ...process.env, ...env } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const GOOD = `servers:
  - name: demo
    match: { hosts: [127.0.0.1, localhost], pathPrefix: /mcp }
    tools: { deny: ["delete_*"] }
`;
const BAD = `log: { level: loud }
servers:
  - name: Demo
    match: { hosts: [] }
    toolz: {}
`;

describe('mcpgw CLI', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mcpgw-cli-'));
    await writeFile(path.join(dir, 'good.yaml'), GOOD);
    await writeFile(path.join(dir, 'bad.yaml'), BAD);
  });

  it('check-config prints ok for a good file and for the shipped example', async () => {
    assert.deepEqual(await cli(['check-config', path.join(dir, 'good.yaml')]), { code: 0, stdout: 'ok\n', stderr: '' });
    assert.equal((await cli(['check-config', 'examples/gateway.yaml'])).stdout, 'ok\n');
  });

  it('check-config prints one path: message line per problem and exits 1', async () => {
    const r = await cli(['check-config', path.join(dir, 'bad.yaml')]);
    assert.equal(r.code, 1);
    const lines = r.stdout.trim().split('\n');
    assert.ok(lines.length >= 3, r.stdout);
    for (const line of lines) assert.match(line, /^[\w.()]+: .+/);
    assert.ok(lines.some((l) => l.startsWith('log.level: ')));
    assert.ok(lines.some((l) => l.startsWith('servers.0.toolz: ')));
  });

  it('serve refuses a bad config with the same lines', async () => {
    const check = await cli(['check-config', path.join(dir, 'bad.yaml')]);
    const serve = await cli(['serve', '--config', path.join(dir, 'bad.yaml')]);
    assert.equal(serve.code, 1);
    for (const line of check.stdout.trim().split('\n')) assert.ok(serve.stderr.includes(line), `missing: ${line}`);
  });

  it('a bad flag value is refused; flags win over MCPGW_* variables', async () => {
    const bad = await cli(['serve', '--config', path.join(dir, 'good.yaml'), '--grpc-listen', 'nope']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--grpc-listen: must be host:port/);
    // MCPGW_LOG_LEVEL=silent alone would hide the "listening" line the runner waits for.
    const p = await startMcpgwProcess(['--config', path.join(dir, 'good.yaml'), '--log-level', 'info'], { MCPGW_LOG_LEVEL: 'silent' });
    await p.stop();
    const viaEnv = await cli(['serve', '--grpc-listen', '127.0.0.1:0', '--http-listen', '127.0.0.1:0'], { MCPGW_CONFIG: path.join(dir, 'bad.yaml') });
    assert.equal(viaEnv.code, 1, 'MCPGW_CONFIG is read when --config is absent');
    assert.match(viaEnv.stderr, /log\.level: /);
  });

  describe('serve behind envoy-sim', () => {
    let proc: McpgwProcess;
    let pod: McpPod;
    let sim: EnvoySim;
    before(async () => {
      pod = await startMcpPod({ name: 'solo' });
      proc = await startMcpgwProcess([], { MCPGW_CONFIG: path.join(dir, 'good.yaml') });
      sim = new EnvoySim({
        routes: [{ authority: '*', cluster: 'mcp' }],
        clusters: [{ name: 'mcp', lb: 'round_robin', endpoints: [pod.hostKey] }],
        ...meshWiring(`127.0.0.1:${proc.grpcPort}`),
      });
      await sim.start();
    });
    after(async () => {
      await sim.close();
      await proc.stop('SIGKILL');
      await pod.close();
    });

    it('logs one JSON line saying where it listens', () => {
      const line = proc.logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'mcpgw listening');
      assert.equal(line.grpc, `127.0.0.1:${proc.grpcPort}`);
      assert.equal(line.http, `127.0.0.1:${proc.httpPort}`);
    });

    it('answers a real SDK client through envoy-sim, and serves /metrics', async () => {
      const { client } = await connectClient(`${sim.url}/mcp`, { headers: { 'x-request-id': randomUUID() } });
      const r = await client.callTool({ name: 'echo', arguments: { text: 'hi' } });
      assert.deepEqual(r.content, [{ type: 'text', text: 'hi' }]);
      await assert.rejects(client.callTool({ name: 'delete_everything', arguments: {} }));
      await client.close();
      const metrics = await (await fetch(`http://127.0.0.1:${proc.httpPort}/metrics`)).text();
      assert.match(metrics, /mcpgw_requests_total\{[^}]*reason="tool_denied"[^}]*\} [1-9]/);
      assert.match(metrics, /process_cpu_seconds_total|mcpgw_process_cpu_seconds_total/);
    });

    it('SIGTERM: exits 0 after letting streams finish', async () => {
      assert.equal((await fetch(`http://127.0.0.1:${proc.httpPort}/readyz`)).status, 200);
      assert.equal(await proc.stop('SIGTERM'), 0);
      assert.ok(proc.logs.some((l) => l.includes('mcpgw stopped')));
    });
  });
});
