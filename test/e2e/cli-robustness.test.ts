// The real `mcpgw` CLI: check-config names a redis store without a URL, and `serve` outlives a
// promise rejection nobody handled (logged, still serving).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startMcpgwProcess, type McpgwProcess } from '../fixtures/index.js';
import { eventually } from '../sessions/redisHarness.js';

const run = promisify(execFile);

async function checkConfig(file: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string }> {
  try {
    const r = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'check-config', file], { env: { ...process.env, ...env } });
    return { code: 0, stdout: r.stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string };
    return { code: e.code, stdout: e.stdout };
  }
}

const SERVERS = `servers:
  - name: demo
    match: { hosts: [127.0.0.1], pathPrefix: /mcp }
`;

describe('mcpgw CLI robustness', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mcpgw-cli-robust-'));
    await writeFile(path.join(dir, 'redis-no-url.yaml'), `store: { kind: redis }\n${SERVERS}`);
    await writeFile(path.join(dir, 'good.yaml'), SERVERS);
  });

  it('check-config: a redis store without store.url or MCPGW_REDIS_URL is a path: message problem', async () => {
    const r = await checkConfig(path.join(dir, 'redis-no-url.yaml'), { MCPGW_REDIS_URL: '' });
    assert.equal(r.code, 1);
    assert.deepEqual(r.stdout.trim().split('\n'), ['store.url: the redis store needs a URL: set store.url or the MCPGW_REDIS_URL environment variable']);
    const withEnv = await checkConfig(path.join(dir, 'redis-no-url.yaml'), { MCPGW_REDIS_URL: 'redis://127.0.0.1:6390' });
    assert.deepEqual(withEnv, { code: 0, stdout: 'ok\n' });
  });

  describe('serve, after a promise rejection nobody handled', () => {
    let proc: McpgwProcess;
    before(async () => {
      proc = await startMcpgwProcess([], {
        MCPGW_CONFIG: path.join(dir, 'good.yaml'),
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ./test/fixtures/lost-rejection.mjs`.trim(),
      });
    });
    after(() => proc.stop('SIGKILL'));

    it('logs it as an error and keeps serving', async () => {
      proc.proc.kill('SIGUSR2');
      const lost = await eventually(() => {
        const line = proc.logs.find((l) => l.includes('a promise nobody awaited'));
        assert.ok(line, 'the rejection is logged');
        return JSON.parse(line) as Record<string, unknown>;
      });
      assert.equal(lost.level, 'error');
      assert.equal(lost.msg, 'unhandled promise rejection; still serving');
      assert.equal((await fetch(`http://127.0.0.1:${proc.httpPort}/readyz`)).status, 200);
      assert.equal(await proc.stop('SIGTERM'), 0);
    });
  });
});
