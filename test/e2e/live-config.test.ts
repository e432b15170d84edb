// Live configuration end to end: real SDK clients → envoy-sim (ext_authz + ext_proc) → mcpgw → real
// SDK pods, with continuous load on an unchanged server ("demo") while another server ("wiki") is
// added, has a limit tightened, its upstream credential rotated, a tool rule changed (a call in flight
// meanwhile) and is removed. Each change decides the next request; nothing in flight fails; the demo
// sessions keep their ids and pods throughout.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { GatewayConfig } from '../../src/config/index.js';
import type { ConfigCatalog } from '../../src/liveconfig/index.js';
import { connectClient, type McpPod } from '../fixtures/index.js';
import { LineSink } from '../telemetry/lines.js';
import { httpStatusIs, type SdkClient } from './limitsSupport.js';
import { until } from './mesh.js';
import { AFFINITY, pinningConfig, podOf } from './pinning.js';
import { startStack, type Stack } from './stack.js';

/** The unchanged server: busy SDK sessions whose ids and pods must never change. */
class DemoLoad {
  readonly errors: string[] = [];
  calls = 0;
  private stopped = false;
  private readonly loops: Promise<void>[] = [];
  readonly sessions: Array<{ client: SdkClient; id: string; pod: string }> = [];

  async start(url: string, n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const client = await connectClient(url);
      const { pod } = await podOf(client.client);
      const s = { client, id: client.transport.sessionId ?? '', pod };
      this.sessions.push(s);
      this.loops.push(this.loop(s));
    }
  }

  private async loop(s: { client: SdkClient; id: string; pod: string }): Promise<void> {
    while (!this.stopped) {
      try {
        const seen = await podOf(s.client.client);
        if (seen.pod !== s.pod || s.client.transport.sessionId !== s.id) this.errors.push(`session ${s.id} moved to ${seen.pod} / ${s.client.transport.sessionId}`);
        this.calls++;
      } catch (err) {
        this.errors.push(`demo call failed: ${(err as Error).message}`);
      }
    }
  }

  /** Waits for more calls, so each change happens under load. */
  async progress(n: number): Promise<void> {
    const target = this.calls + n;
    await until(() => this.calls >= target || this.errors.length > 0, `${n} more demo calls`, 60_000);
    assert.deepEqual(this.errors, []);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
    await Promise.all(this.sessions.map((s) => s.client.client.close().catch(() => undefined)));
  }
}

describe('live configuration through envoy-sim under load', () => {
  let stack: Stack;
  let catalog: ConfigCatalog;
  let dir: string;
  let pods: McpPod[];
  let fileConfig: (limits: unknown[]) => GatewayConfig;
  const load = new DemoLoad();
  const clients: SdkClient[] = [];
  const wikiUrl = () => `${stack.sim.url.replace('127.0.0.1', 'localhost')}/mcp`;
  const wiki = (extra: Record<string, unknown> = {}) => ({
    name: 'wiki',
    match: { hosts: ['localhost'], pathPrefix: '/' },
    endpoints: { static: pods.map((p) => p.hostKey) },
    upstream: { headers: [{ name: 'x-upstream-key', fromFile: join(dir, 'key-1') }] },
    ...extra,
  });
  const connectWiki = async () => {
    const c = await connectClient(wikiUrl());
    clients.push(c);
    return c;
  };
  const upstreamKeys = () => pods.flatMap((p) => p.requests.filter((r) => r.method === 'POST' && String(r.headers.host).startsWith('localhost')).map((r) => r.headers['x-upstream-key']));

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcpgw-live-e2e-'));
    await writeFile(join(dir, 'key-1'), 'upstream-secret-one');
    await writeFile(join(dir, 'key-2'), 'upstream-secret-two');
    stack = await startStack({
      configFor: (p) => {
        pods = p;
        fileConfig = (limits) => pinningConfig(p, { server: { match: { hosts: ['127.0.0.1'], pathPrefix: '/' } }, top: { limits } });
        return fileConfig([]);
      },
      cluster: { lb: 'ring_hash', hashHeader: AFFINITY },
      service: { auditStream: new LineSink() },
    });
    catalog = stack.gateway.catalog!;
    await load.start(stack.url, 3);
  });
  after(async () => {
    await load.stop();
    await Promise.all(clients.map((c) => c.client.close().catch(() => undefined)));
    await stack.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('adds a server: the next request is served, with its injected credential', async () => {
    await assert.rejects(connectClient(wikiUrl()), httpStatusIs(404));
    await catalog.applyServer(wiki());
    const c = await connectWiki();
    assert.ok((await podOf(c.client)).pod);
    assert.deepEqual([...new Set(upstreamKeys())], ['upstream-secret-one']);
    await load.progress(20);
  });

  it('tightens a limit: the counts so far stay and the next call over the new number is refused', async () => {
    const limit = (requests: number) => [{ name: 'wiki-echo', per: [], match: { servers: ['wiki'], tools: ['echo'] }, quota: { requests, window: 'day' } }];
    assert.equal(await stack.gateway.reloadFile({ ok: true, config: fileConfig(limit(1000)) }), 'applied');
    const c = await connectWiki();
    for (let i = 0; i < 3; i++) await c.client.callTool({ name: 'echo', arguments: { text: `call ${i}` } });
    assert.equal(await stack.gateway.reloadFile({ ok: true, config: fileConfig(limit(4)) }), 'applied');
    await c.client.callTool({ name: 'echo', arguments: { text: 'fourth' } });
    await assert.rejects(c.client.callTool({ name: 'echo', arguments: { text: 'fifth' } }), httpStatusIs(429));
    await c.client.callTool({ name: 'whoami', arguments: {} });
    await load.progress(20);
  });

  it('rotates the upstream credential: the next request carries the new one', async () => {
    const c = await connectWiki();
    await catalog.applyServer(wiki({ upstream: { headers: [{ name: 'x-upstream-key', fromFile: join(dir, 'key-2') }] } }));
    const count = (key: string) => upstreamKeys().filter((k) => k === key).length;
    const [one, two] = [count('upstream-secret-one'), count('upstream-secret-two')];
    await c.client.callTool({ name: 'whoami', arguments: {} });
    assert.deepEqual([count('upstream-secret-one'), count('upstream-secret-two')], [one, two + 1]);
    await load.progress(20);
  });

  it('changes a tool rule: a call in flight finishes, the next call is refused', async () => {
    const c = await connectWiki();
    const reached = upstreamKeys().length;
    const inFlight = c.client.callTool({ name: 'slow_count', arguments: { n: 5, delayMs: 100 } });
    // Decided and at the pod before the change: it runs under the version it started with.
    await until(() => upstreamKeys().length > reached, 'slow_count reached a pod');
    await catalog.applyServer(wiki({ upstream: { headers: [{ name: 'x-upstream-key', fromFile: join(dir, 'key-2') }] }, tools: { deny: ['slow_count'] } }));
    const done = (await inFlight) as { isError?: boolean; content: unknown[] };
    assert.notEqual(done.isError, true);
    await assert.rejects(c.client.callTool({ name: 'slow_count', arguments: { n: 1, delayMs: 1 } }), httpStatusIs(403));
    await c.client.callTool({ name: 'whoami', arguments: {} });
    await load.progress(20);
  });

  it('removes the server: its sessions end (404 for the next request); demo sessions are untouched', async () => {
    const c = await connectWiki();
    await catalog.deleteServer('wiki');
    await assert.rejects(c.client.callTool({ name: 'whoami', arguments: {} }), httpStatusIs(404));
    assert.equal(catalog.server('wiki'), undefined);
    // Every wiki session this suite opened (five clients) was ended by the removal, not left to expire.
    const ended = async () => Number(/^mcpgw_sessions_ended_total\{server="wiki",reason="deleted"\} (\d+)$/m.exec(await (await fetch(`${stack.httpBase}/metrics`)).text())?.[1] ?? 0);
    await until(async () => (await ended()) >= clients.length, 'the wiki sessions ended');
    await load.progress(20);
    assert.deepEqual(load.errors, []);
    assert.equal(load.sessions.length, 3);
  });
});
