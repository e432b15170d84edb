// The config file as a live source, on the real `mcpgw serve` process: an edit in place, a file
// replaced by a rename (editors), a Kubernetes ConfigMap's `..data` symlink swap, SIGHUP (the process
// keeps running and re-reads), and an invalid edit (refused, every problem logged, still serving).
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { until } from '../e2e/mesh.js';
import { startMcpgwProcess, type McpgwProcess } from '../fixtures/cli.js';
import { authzClient } from '../grpc/harness.js';
import { metricVersion, server, statusOf } from './support.js';

const FILES = server('files', 'mcp.test', { tools: { deny: ['delete_*'] } });

function configText(servers: unknown[]): string {
  return stringify({ log: { level: 'info' }, shutdown: { graceSeconds: 1 }, servers });
}

interface Running {
  mcpgw: McpgwProcess;
  authz: ReturnType<typeof authzClient>;
  status(host: string, tool?: string): Promise<number>;
  version(): Promise<string | undefined>;
  close(): Promise<void>;
}

async function run(configPath: string): Promise<Running> {
  const mcpgw = await startMcpgwProcess(['--config', configPath]);
  const authz = authzClient(`127.0.0.1:${mcpgw.grpcPort}`);
  return {
    mcpgw,
    authz,
    status: (host, tool) => statusOf(authz, host, '/mcp', tool),
    version: () => metricVersion(`http://127.0.0.1:${mcpgw.httpPort}`),
    async close() {
      authz.close();
      await mcpgw.stop();
    },
  };
}

const logged = (m: McpgwProcess, pattern: RegExp) => m.logs.some((l) => pattern.test(l));

describe('live configuration: the config file', () => {
  let dir: string;
  before(async () => (dir = await mkdtemp(join(tmpdir(), 'mcpgw-live-'))));
  after(() => rm(dir, { recursive: true, force: true }));

  describe('a plain file', () => {
    let gw: Running;
    let path: string;
    before(async () => {
      path = join(dir, 'gateway.yaml');
      await writeFile(path, configText([FILES]));
      gw = await run(path);
    });
    after(() => gw.close());

    it('an edit in place is applied for the next request', async () => {
      const before = await gw.version();
      assert.equal(await gw.status('wiki.test'), 404);
      await writeFile(path, configText([FILES, server('wiki', 'wiki.test')]));
      await until(async () => (await gw.status('wiki.test')) === 200, 'wiki served after the edit');
      assert.notEqual(await gw.version(), before);
    });

    it('a file replaced by a rename (as editors save) is followed', async () => {
      const tmp = join(dir, '.gateway.yaml.swp');
      await writeFile(tmp, configText([FILES, server('wiki', 'wiki.test', { tools: { deny: ['echo'] } })]));
      await rename(tmp, path);
      await until(async () => (await gw.status('wiki.test')) === 403, 'the new rule decides');
      // And the watch still follows the new file (a new inode) afterwards.
      await writeFile(path, configText([FILES]));
      await until(async () => (await gw.status('wiki.test')) === 404, 'wiki removed');
    });

    it('an invalid edit is refused with every problem logged; the running config keeps serving', async () => {
      const version = await gw.version();
      await writeFile(path, configText([FILES, server('wiki', 'wiki.test', { tools: { allow: [''] } }), server('bad name', 'x.test')]));
      // Lines reach the test as the logger's writes land, one by one: wait for each.
      await until(() => logged(gw.mcpgw, /servers\.1\.tools\.allow\.0: must not be empty/), 'the first problem is logged');
      await until(() => logged(gw.mcpgw, /servers\.2\.name: must be a DNS-1123 label/), 'the second problem is logged');
      await until(() => logged(gw.mcpgw, /configuration change refused; still serving version/), 'the refusal is logged');
      assert.equal(await gw.version(), version);
      assert.equal(await gw.status('mcp.test', 'delete_x'), 403);
      assert.equal(await gw.status('wiki.test'), 404);
    });

    it('SIGHUP re-reads the file and never stops the process', async () => {
      await writeFile(path, configText([FILES, server('hup', 'hup.test')]));
      gw.mcpgw.proc.kill('SIGHUP');
      await until(() => logged(gw.mcpgw, /"trigger":"SIGHUP".*config file reload done/), 'the SIGHUP reload is done');
      await until(async () => (await gw.status('hup.test')) === 200, 'hup served');
      gw.mcpgw.proc.kill('SIGHUP');
      await until(() => gw.mcpgw.logs.filter((l) => /"trigger":"SIGHUP".*config file reload done/.test(l)).length === 2, 'a second SIGHUP is handled too');
      assert.equal(gw.mcpgw.proc.exitCode, null);
      assert.equal(gw.mcpgw.proc.signalCode, null);
      assert.equal((await fetch(`http://127.0.0.1:${gw.mcpgw.httpPort}/healthz`)).status, 200);
    });
  });

  it('a Kubernetes ConfigMap volume: the `..data` symlink swap is followed', async () => {
    // The layout kubelet writes: gateway.yaml -> ..data/gateway.yaml, ..data -> ..<timestamp>/.
    const volume = join(dir, 'configmap');
    await mkdir(join(volume, '..2026_01'), { recursive: true });
    await writeFile(join(volume, '..2026_01', 'gateway.yaml'), configText([FILES]));
    await symlink('..2026_01', join(volume, '..data'));
    await symlink('..data/gateway.yaml', join(volume, 'gateway.yaml'));
    const gw = await run(join(volume, 'gateway.yaml'));
    try {
      assert.equal(await gw.status('wiki.test'), 404);
      await mkdir(join(volume, '..2026_02'));
      await writeFile(join(volume, '..2026_02', 'gateway.yaml'), configText([FILES, server('wiki', 'wiki.test')]));
      await symlink('..2026_02', join(volume, '..data_tmp'));
      await rename(join(volume, '..data_tmp'), join(volume, '..data'));
      await rm(join(volume, '..2026_01'), { recursive: true });
      await until(async () => (await gw.status('wiki.test')) === 200, 'wiki served after the swap');
      assert.equal(await gw.status('mcp.test', 'delete_x'), 403);
    } finally {
      await gw.close();
    }
  });
});
