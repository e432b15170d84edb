// `mcpgw bridge` rows: added latency per tools/call (the same stdio server, the same SDK client, one
// call at a time: direct over stdio vs through the bridge vs through supergateway) and resident
// memory per session (the HTTP process plus its children, before and after opening sessions).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { timeEach, type LatencySummary } from '../histogram.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SERVER = [process.execPath, `${ROOT}node_modules/@modelcontextprotocol/server-everything/dist/index.js`, 'stdio'];
const SUPERGATEWAY = `${ROOT}node_modules/supergateway/dist/index.js`;

export interface ProxyResult {
  call: LatencySummary;
  /** Resident bytes per extra session: the HTTP process and every descendant. */
  bytesPerSession: number;
  /** The same, the HTTP process alone (its own bookkeeping, without the children). */
  proxyBytesPerSession: number;
}

export interface BridgeBenchResult {
  direct: LatencySummary;
  bridge: ProxyResult;
  supergateway?: ProxyResult;
  supergatewayError?: string;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** VmRSS of `pid` and (optionally) all its descendants, from /proc. */
function treeRss(pid: number, withChildren: boolean): number {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* gone */ }
  }
  const pids = [pid];
  if (withChildren) for (let i = 0; i < pids.length; i++) for (const [p, pp] of parent) if (pp === pids[i]) pids.push(p);
  let kb = 0;
  for (const p of pids) {
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch { /* gone */ }
  }
  return kb * 1024;
}

async function echoCalls(transport: Transport, calls: number): Promise<{ client: Client; latency: LatencySummary }> {
  const client = new Client({ name: 'bench', version: '0' });
  await client.connect(transport);
  const call = () => client.callTool({ name: 'echo', arguments: { message: 'bench' } });
  for (let i = 0; i < Math.min(50, calls); i++) await call();
  return { client, latency: await timeEach(calls, call) };
}

async function untilReady(url: string, proc: ChildProcess): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (proc.exitCode !== null) throw new Error(`exited with ${proc.exitCode}`);
    const ok = await fetch(url).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} never answered`);
}

async function measureProxy(proc: ChildProcess, mcpUrl: string, calls: number, sessions: number): Promise<ProxyResult> {
  const first = await echoCalls(new StreamableHTTPClientTransport(new URL(mcpUrl)), calls);
  const pid = proc.pid!;
  const [before, beforeSelf] = [treeRss(pid, true), treeRss(pid, false)];
  const more: Client[] = [];
  for (let i = 0; i < sessions; i++) more.push((await echoCalls(new StreamableHTTPClientTransport(new URL(mcpUrl)), 1)).client);
  const [after, afterSelf] = [treeRss(pid, true), treeRss(pid, false)];
  await Promise.all([first.client, ...more].map((c) => c.close()));
  return { call: first.latency, bytesPerSession: Math.round((after - before) / sessions), proxyBytesPerSession: Math.round((afterSelf - beforeSelf) / sessions) };
}

const stop = (proc: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once('close', () => resolve());
    proc.kill('SIGTERM');
    setTimeout(() => proc.kill('SIGKILL'), 10_000).unref();
  });

export async function bridgeBench(calls: number, sessions: number): Promise<BridgeBenchResult> {
  const [command, ...args] = SERVER as [string, ...string[]];
  const direct = await echoCalls(new StdioClientTransport({ command, args, stderr: 'ignore' }), calls);
  await direct.client.close();

  const bridgeProc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'bridge', '--host', '127.0.0.1', '--port', '0', '--grace-ms', '0', '--max-sessions', String(sessions + 2), '--', ...SERVER], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let bridge: ProxyResult;
  try {
    const port = await new Promise<number>((resolve, reject) => {
      createInterface({ input: bridgeProc.stdout! }).on('line', (l) => {
        const m = /"port":(\d+)/.exec(l);
        if (m && l.includes('bridge listening')) resolve(Number(m[1]));
      });
      bridgeProc.once('close', (c) => reject(new Error(`bridge exited with ${c}`)));
    });
    await untilReady(`http://127.0.0.1:${port}/readyz`, bridgeProc);
    bridge = await measureProxy(bridgeProc, `http://127.0.0.1:${port}/mcp`, calls, sessions);
  } finally {
    await stop(bridgeProc);
  }

  const result: BridgeBenchResult = { direct: direct.latency, bridge };
  const port = await freePort();
  const sg = spawn(process.execPath, [SUPERGATEWAY, '--stdio', SERVER.join(' '), '--outputTransport', 'streamableHttp', '--stateful', '--port', String(port), '--healthEndpoint', '/healthz', '--logLevel', 'none'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  try {
    await untilReady(`http://127.0.0.1:${port}/healthz`, sg);
    result.supergateway = await measureProxy(sg, `http://127.0.0.1:${port}/mcp`, calls, sessions);
  } catch (err) {
    result.supergatewayError = (err as Error).message;
  } finally {
    await stop(sg);
  }
  return result;
}
