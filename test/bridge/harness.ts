// Starts the bridge in-process on a loopback port around a real stdio server, with its log lines kept
// for assertions, and connects real SDK clients to it.
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { parseBridgeArgs, startBridge, type BridgeOptions, type RunningBridge } from '../../src/bridge/index.js';
import { createLogger } from '../../src/telemetry/index.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const EVERYTHING = [process.execPath, `${REPO_ROOT}node_modules/@modelcontextprotocol/server-everything/dist/index.js`, 'stdio'];
export const FAULTS = [process.execPath, fileURLToPath(new URL('./fault-server.mjs', import.meta.url))];

export interface TestBridge extends RunningBridge {
  url: string;
  base: string;
  logs: Array<Record<string, unknown>>;
}

/** `flags` are CLI flags (so tests go through the same parsing as `mcpgw bridge`). */
export async function startTestBridge(server: string[], flags: string[] = [], env: NodeJS.ProcessEnv = process.env): Promise<TestBridge> {
  const parsed = parseBridgeArgs(['--host', '127.0.0.1', '--port', '0', ...flags, '--', ...server]);
  if (!parsed.ok) throw new Error(parsed.message);
  const options: BridgeOptions = parsed.options;
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const bridge = await startBridge(options, createLogger('debug', sink), env);
  const base = `http://127.0.0.1:${bridge.port}`;
  return { ...bridge, base, url: `${base}${options.path}`, logs };
}

export async function connect(url: string, capabilities: ConstructorParameters<typeof Client>[1] = {}) {
  const client = new Client({ name: 'bridge-test', version: '0.0.0' }, capabilities);
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  return { client, transport, sessionId: transport.sessionId ?? '' };
}

/** Waits for a condition (never a fixed sleep); fails with `what` if it does not hold within 20 s. */
export async function until<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** One metric sample's value from the bridge's /metrics (0 when absent). */
export async function metric(base: string, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `) || (labels === '' && l.startsWith(`${name} `)));
  return line ? Number(line.split(' ')[1]) : 0;
}

/** A raw Streamable HTTP POST (for what an SDK client will not send: batches, chosen Accept). */
export async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

export const INITIALIZE = (id: number | string = 1, protocolVersion = '2025-03-26') => ({
  jsonrpc: '2.0',
  id,
  method: 'initialize',
  params: { protocolVersion, capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
});

/** The first text content of a tools/call result. */
export const text = (r: unknown): string | undefined => (r as { content: Array<{ text: string }> }).content[0]?.text;

/** Whether a process with this pid still exists (not yet reaped). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
