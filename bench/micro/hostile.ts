// Worst-case rows (issue 12): a decision whose globs are pathological for a backtracking matcher,
// against names at the requests.maxNameBytes caps; and a flood of distinct tool names through a
// limit keyed per tool, with the heap measured before and after.
import type { GatewayConfig } from '../../src/config/index.js';
import { CHECK_HOOK } from '../../src/authz/index.js';
import { Gateway, requestView } from '../../src/core/index.js';
import { PROCESS_HOOK } from '../../src/extproc/index.js';
import { Limiter } from '../../src/limits/index.js';
import { MemoryStore } from '../../src/store/index.js';
import { timeEach, type LatencySummary } from '../histogram.js';
import { TOOLS_CALL_BODY, requestHeaders } from '../messages.js';
import { gc } from './memory.js';
import { benchConfig, silentLogger } from './rig.js';

/** Each pattern takes seconds to minutes against the names below when compiled to a backtracking regex. */
const PATHOLOGICAL = {
  tools: { deny: ['*a*a*a*a*a*b'] },
  policy: { defaultEffect: 'allow', rules: [{ effect: 'deny', resources: ['file:///data/*/public/*.txt'] }, { effect: 'deny', tools: ['*a*a*a*a*c'] }] },
};
const PATHOLOGICAL_LIMITS = [{ name: 'hostile', per: ['tool'], match: { tools: ['*a*a*a*b'] }, rate: { requests: 1_000_000_000, perSeconds: 1 } }];

function limiterFor(config: GatewayConfig): Limiter {
  const l = config.limiting;
  return new Limiter({ limits: config.limits, replicas: l.replicas, headers: l.headers, sessionTtlSeconds: config.sessions.ttlSeconds, memoryCounters: l.memoryCounters }, { store: new MemoryStore(), logger: silentLogger });
}

function body(method: string, params: Record<string, unknown>): Buffer {
  return Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 7, method, params }));
}

export interface HostileGlobResult {
  ordinary: LatencySummary;
  toolAtCap: LatencySummary;
  uriAtCap: LatencySummary;
  nameBytes: number;
  uriBytes: number;
}

/** ext_authz decisions (body visible) under pathological globs: an ordinary tools/call, a tool name and a URI at their caps. */
export async function hostileGlobBench(samples: number): Promise<HostileGlobResult> {
  const config = benchConfig(0, { limits: PATHOLOGICAL_LIMITS }, PATHOLOGICAL);
  const { names: nameBytes, resourceUris: uriBytes } = config.requests.maxNameBytes;
  const gateway = new Gateway(config, { limiter: limiterFor(config) });
  const prefix = 'file:///data/';
  const cases = {
    ordinary: TOOLS_CALL_BODY,
    toolAtCap: body('tools/call', { name: 'a'.repeat(nameBytes), arguments: {} }),
    uriAtCap: body('resources/read', { uri: `${prefix}${'x/public/'.repeat(Math.floor((uriBytes - prefix.length) / 9))}` }),
  };
  const time = async (b: Buffer) => {
    const view = requestView(requestHeaders({ 'content-length': String(b.length) }), b);
    const once = async () => {
      const d = await gateway.decide(view, CHECK_HOOK);
      if (d.kind !== 'allow') throw new Error(`hostile glob bench: expected allow, got ${d.kind === 'deny' ? d.reason : d.kind}`);
    };
    for (let i = 0; i < 50; i++) await once();
    return timeEach(samples, once);
  };
  return { ordinary: await time(cases.ordinary), toolAtCap: await time(cases.toolAtCap), uriAtCap: await time(cases.uriAtCap), nameBytes, uriBytes };
}

export interface NameFloodResult {
  names: number;
  namesPerSecond: number;
  heapBeforeMb: number;
  heapAfterMb: number;
  memoryCounters: number;
}

/**
 * Distinct tool names at the name cap through a limit keyed per tool, decided as ext_proc counts
 * them. The LRU is filled first (the heap it costs is the bound), then `seconds` × `perSecond` more
 * names: the heap must not grow with them.
 */
export async function nameFloodBench(o: { seconds: number; perSecond: number; memoryCounters: number }): Promise<NameFloodResult> {
  const config = benchConfig(0, { limits: [{ name: 'per-tool', per: ['tool'], rate: { requests: 1000, perSeconds: 1 } }], limiting: { memoryCounters: o.memoryCounters } });
  const limiter = limiterFor(config);
  const gateway = new Gateway(config, { limiter });
  const filler = 't'.repeat(config.requests.maxNameBytes.names - 12);
  let next = 0;
  const decideNext = async () => {
    const b = body('tools/call', { name: `${String(next++).padStart(12, '0')}${filler}`, arguments: {} });
    const d = await gateway.decide(requestView(requestHeaders({ 'content-length': String(b.length) }), b), PROCESS_HOOK);
    if (d.kind !== 'allow') throw new Error(`name flood bench: expected allow, got ${d.kind === 'deny' ? d.reason : d.kind}`);
  };
  try {
    while (next < o.memoryCounters) await decideNext();
    gc();
    const before = process.memoryUsage().heapUsed;
    const started = performance.now();
    const total = o.seconds * o.perSecond;
    for (let i = 0; i < total; i++) await decideNext();
    const seconds = (performance.now() - started) / 1000;
    gc();
    const after = process.memoryUsage().heapUsed;
    const mb = (n: number) => Math.round((n / 1_048_576) * 10) / 10;
    return { names: total, namesPerSecond: Math.round(total / seconds), heapBeforeMb: mb(before), heapAfterMb: mb(after), memoryCounters: o.memoryCounters };
  } finally {
    limiter.stop();
  }
}
