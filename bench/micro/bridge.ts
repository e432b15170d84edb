// `mcpgw bridge` rows: added latency per tools/call (the same stdio server, the same SDK client, one
// call at a time: direct over stdio vs through the bridge, per-session and --shared, vs through
// supergateway and mcp-proxy) and resident memory per session (the HTTP process plus its children,
// before and after opening sessions).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { timeEach, type LatencySummary } from '../histogram.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SERVER = [process.execPath, `${ROOT}node_modules/@modelcontextprotocol/server-everything/dist/index.js`, 'stdio'];
const SUPERGATEWAY = `${ROOT}node_modules/supergateway/dist/index.js`;
const MCP_PROXY = `${ROOT}node_modules/mcp-proxy/dist/bin/mcp-proxy.mjs`;

export interface ProxyResult {
  call: LatencySummary;
  /** Resident bytes per extra session: the HTTP process and every descendant. */
  bytesPerSession: number;
  /** The same, the HTTP process alone (its own bookkeeping, without the children). */
  proxyBytesPerSession: number;
  /** Processes under the HTTP process with every session open (stdio servers, and any shell around them). */
  children: number;
}

/** A proxy that did not run gets its error instead of numbers. */
export type Measured = ProxyResult | { error: string };

export interface BridgeBenchResult {
  direct: LatencySummary;
  bridge: ProxyResult;
  bridgeShared: Measured;
  supergateway: Measured;
  mcpProxy: Measured;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** `pid` and every process under it, from /proc. */
function tree(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* gone */ }
  }
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) for (const [p, pp] of parent) if (pp === pids[i]) pids.push(p);
  return pids;
}

/** VmRSS of these processes, in bytes. */
function rss(pids: number[]): number {
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
  const [before, beforeSelf] = [rss(tree(pid)), rss([pid])];
  const more: Client[] = [];
  for (let i = 0; i < sessions; i++) more.push((await echoCalls(new StreamableHTTPClientTransport(new URL(mcpUrl)), 1)).client);
  const all = tree(pid);
  const [after, afterSelf] = [rss(all), rss([pid])];
  await Promise.all([first.client, ...more].map((c) => c.close()));
  return { call: first.latency, bytesPerSession: Math.round((after - before) / sessions), proxyBytesPerSession: Math.round((afterSelf - beforeSelf) / sessions), children: all.length - 1 };
}

const stop = (proc: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once('close', () => resolve());
    proc.kill('SIGTERM');
    setTimeout(() => proc.kill('SIGKILL'), 10_000).unref();
  });

/** Starts an HTTP front for the stdio server, waits for `readyPath`, measures it, stops it. */
async function measureFront(args: string[], port: number, readyPath: string, calls: number, sessions: number): Promise<Measured> {
  const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'ignore'] });
  try {
    await untilReady(`http://127.0.0.1:${port}${readyPath}`, proc);
    return await measureProxy(proc, `http://127.0.0.1:${port}/mcp`, calls, sessions);
  } catch (err) {
    return { error: (err as Error).message };
  } finally {
    await stop(proc);
  }
}

export async function bridgeBench(calls: number, sessions: number): Promise<BridgeBenchResult> {
  const [command, ...args] = SERVER as [string, ...string[]];
  const direct = await echoCalls(new StdioClientTransport({ command, args, stderr: 'ignore' }), calls);
  await direct.client.close();

  const bridgeArgs = async (extra: string[] = []) => ['--import', 'tsx', 'src/cli/main.ts', 'bridge', '--host', '127.0.0.1', '--port', String(await freePort()), '--grace-ms', '0', '--max-sessions', String(sessions + 2), '--log-level', 'warn', ...extra, '--', ...SERVER];
  const portOf = (a: string[]) => Number(a[a.indexOf('--port') + 1]);
  const perSession = await bridgeArgs();
  const bridge = await measureFront(perSession, portOf(perSession), '/readyz', calls, sessions);
  if ('error' in bridge) throw new Error(`mcpgw bridge did not run: ${bridge.error}`);
  const shared = await bridgeArgs(['--shared']);
  const bridgeShared = await measureFront(shared, portOf(shared), '/readyz', calls, sessions);

  const sgPort = await freePort();
  const supergateway = await measureFront(
    [SUPERGATEWAY, '--stdio', SERVER.join(' '), '--outputTransport', 'streamableHttp', '--stateful', '--port', String(sgPort), '--healthEndpoint', '/healthz', '--logLevel', 'none'],
    sgPort, '/healthz', calls, sessions,
  );
  const mpPort = await freePort();
  const mcpProxy = await measureFront([MCP_PROXY, '--port', String(mpPort), '--server', 'stream', '--', ...SERVER], mpPort, '/ping', calls, sessions);
  return { direct: direct.latency, bridge, bridgeShared, supergateway, mcpProxy };
}
