// In-process decision rows for policy size and limits: the production Gateway (+ SessionPinning,
// + Limiter over the memory store or Redis) deciding one tools/call, with Redis round trips counted
// from the server's own INFO counters.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { GatewayConfig } from '../../src/config/index.js';
import { Authenticator } from '../../src/identity/index.js';
import { CHECK_HOOK } from '../../src/authz/index.js';
import { requestView } from '../../src/core/index.js';
import { Limiter } from '../../src/limits/index.js';
import { MemorySessionRegistry, RedisSessionRegistry, type SessionRegistry } from '../../src/sessions/index.js';
import { MemoryStore, RedisStore } from '../../src/store/index.js';
import { timeEach, type LatencySummary } from '../histogram.js';
import { BenchIssuer, type TokenAlg } from '../identity.js';
import { TOOLS_CALL_BODY, requestHeaders } from '../messages.js';
import { benchConfig, binding, buildRig, podHosts, sessionId, silentLogger } from './rig.js';
import { connectStore } from './sessions.js';

const TTL_MS = 86_400_000;

export interface IdentityResult {
  cached: LatencySummary;
  rs256: LatencySummary;
  es256: LatencySummary;
  /** Signature verifications per fresh-token decision (1 = no cache hit). */
  verificationsPerFresh: number;
}

/** ext_authz decision for a tools/call with a bearer token: one token repeated, or a new RS256 / ES256 token each time. */
export async function identityBench(samples: number): Promise<IdentityResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'mcpgw-bench-id-'));
  const issuer = new BenchIssuer(dir);
  const { identity, auth } = issuer.identityConfig();
  const config = benchConfig(0, { identity }, { auth });
  const authenticator = new Authenticator(config.identity, { logger: silentLogger });
  await authenticator.start();
  const rig = await buildRig(new MemorySessionRegistry({ ttlMs: TTL_MS }), 0, { config, authenticator });
  try {
    const view = (token: string) => requestView(requestHeaders({ 'content-length': String(TOOLS_CALL_BODY.length), authorization: `Bearer ${token}` }), TOOLS_CALL_BODY);
    const decide = async (v: ReturnType<typeof view>) => {
      const d = await rig.gateway.decide(v, CHECK_HOOK);
      if (d.kind !== 'allow') throw new Error(`identity bench: expected allow, got ${d.kind === 'deny' ? d.reason : d.kind}`);
    };
    const cachedView = view(issuer.token('RS256'));
    const fresh = (alg: TokenAlg) => Array.from({ length: samples + 200 }, () => view(issuer.token(alg)));
    const [rs, es] = [fresh('RS256'), fresh('ES256')];
    for (let i = 0; i < 200; i++) await decide(cachedView), await decide(rs[samples + i]!), await decide(es[samples + i]!);
    const cached = await timeEach(samples, () => decide(cachedView));
    const before = authenticator.stats().jwtVerifications;
    const rs256 = await timeEach(samples, (i) => decide(rs[i]!));
    const es256 = await timeEach(samples, (i) => decide(es[i]!));
    const verificationsPerFresh = (authenticator.stats().jwtVerifications - before) / (2 * samples);
    return { cached, rs256, es256, verificationsPerFresh };
  } finally {
    await rig.close();
    await authenticator.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** n policy rules naming exact tools; the last one allows the tool the bench calls (search_docs). */
export function policyRules(n: number): Record<string, unknown> {
  const rules: Array<Record<string, unknown>> = Array.from({ length: n - 1 }, (_, i) => ({ effect: i % 10 === 9 ? 'deny' : 'allow', tools: [`tool_${String(i).padStart(5, '0')}`] }));
  rules.push({ effect: 'allow', tools: ['search_docs'] });
  return { policy: { defaultEffect: 'deny', rules } };
}

export interface PolicyResult {
  rules: number;
  /** parseConfig + Gateway construction (rules compiled). */
  compileMs: number;
  decide: LatencySummary;
}

/** ext_authz decision for a tools/call (body visible) with n rules. */
export async function policyBench(n: number, samples: number): Promise<PolicyResult> {
  const t0 = performance.now();
  const config = benchConfig(0, {}, policyRules(n));
  const rig = await buildRig(new MemorySessionRegistry({ ttlMs: TTL_MS }), 0, { config });
  const compileMs = Math.round((performance.now() - t0) * 10) / 10;
  try {
    const view = requestView(requestHeaders({ 'content-length': String(TOOLS_CALL_BODY.length) }), TOOLS_CALL_BODY);
    const once = async () => {
      const d = await rig.gateway.decide(view, CHECK_HOOK);
      if (d.kind !== 'allow') throw new Error(`policy bench: expected allow, got ${JSON.stringify(d.summary)} ${d.kind === 'deny' ? d.reason : ''}`);
    };
    for (let i = 0; i < 500; i++) await once();
    return { rules: n, compileMs, decide: await timeEach(samples, once) };
  } finally {
    await rig.close();
  }
}

/** n limits that every tools/call meets, none of them near its cap: rates, fixed and sliding quotas. */
export function benchLimits(n: number): Array<Record<string, unknown>> {
  const per = [['server'], ['method'], ['tool'], [], ['server', 'tool']];
  return Array.from({ length: n }, (_, i) => {
    const kind = i % 3 === 0 ? { rate: { requests: 1_000_000_000, perSeconds: 1 } } : i % 3 === 1 ? { quota: { requests: 1_000_000_000, window: 'minute' } } : { quota: { requests: 1_000_000_000, window: 'hour', sliding: true } };
    return { name: `bench-${i}`, per: per[i % per.length], ...kind };
  });
}

export interface LimitsCase {
  limits: number;
  decide: LatencySummary;
  /** Redis only: per request, from INFO deltas over `rounds` requests. */
  redis?: { readsPerRequest: number; commandsPerRequest: number; evalshaPerRequest: number; rounds: number };
}

type RedisCounters = { reads: number; commands: number; evalsha: number };

async function redisCounters(store: RedisStore): Promise<RedisCounters> {
  const info = String(await store.run('bench.info', (r) => r.call('INFO', 'stats', 'commandstats')));
  const num = (re: RegExp) => Number(re.exec(info)?.[1] ?? 0);
  return { reads: num(/total_reads_processed:(\d+)/), commands: num(/total_commands_processed:(\d+)/), evalsha: num(/cmdstat_evalsha:calls=(\d+)/) };
}

/** A follow-up tools/call in an open session, decided by ext_proc with its body (where limits count), for each limit count. */
export async function limitsBench(o: { store: 'memory' | 'redis'; url?: string; counts: number[]; samples: number; keyPrefix?: string }): Promise<LimitsCase[]> {
  const out: LimitsCase[] = [];
  for (const n of o.counts) {
    const store = o.store === 'redis' ? new RedisStore({ url: o.url!, keyPrefix: `${o.keyPrefix ?? 'bench-limits:'}${n}:`, logger: silentLogger, commandTimeoutMs: 5000 }) : new MemoryStore();
    if (store instanceof RedisStore) await connectStore(store);
    const config: GatewayConfig = benchConfig(3, { limits: benchLimits(n) });
    const limiter = n > 0 ? new Limiter({ limits: config.limits, replicas: config.limiting.replicas, headers: config.limiting.headers, sessionTtlSeconds: config.sessions.ttlSeconds }, { store, logger: silentLogger }) : undefined;
    // Sessions as production keeps them: the memory registry, or Redis behind the in-process cache.
    const registry: SessionRegistry = store instanceof RedisStore ? new RedisSessionRegistry(store, { ttlMs: TTL_MS, cache: { max: 100_000, ttlMs: 60_000 }, logger: silentLogger }) : new MemorySessionRegistry({ ttlMs: TTL_MS });
    await registry.put(binding(0, podHosts(3), Date.now()));
    const rig = await buildRig(registry, 3, { config, ...(limiter ? { limiter } : {}) });
    try {
      const id = sessionId(0);
      const once = async () => {
        const d = await rig.followUp(id);
        if (d.kind !== 'allow') throw new Error(`limits bench: expected allow, got ${d.kind === 'deny' ? d.reason : d.kind}`);
        if (n > 0 && !d.limits) throw new Error('limits bench: no limits applied');
        if (d.limits) await rig.gateway.releaseLimits(d.limits.leases);
      };
      for (let i = 0; i < 300; i++) await once();
      const decide = await timeEach(o.samples, once);
      const c: LimitsCase = { limits: n, decide };
      if (store instanceof RedisStore) {
        const rounds = Math.max(200, Math.min(2000, o.samples));
        const before = await redisCounters(store);
        for (let i = 0; i < rounds; i++) await once();
        const after = await redisCounters(store);
        // The second INFO is itself one read and one command: not the requests'.
        const per = (a: number, b: number) => Math.round(((a - b - 1) / rounds) * 100) / 100;
        c.redis = { readsPerRequest: per(after.reads, before.reads), commandsPerRequest: per(after.commands, before.commands), evalshaPerRequest: Math.round(((after.evalsha - before.evalsha) / rounds) * 100) / 100, rounds };
      }
      out.push(c);
    } finally {
      await rig.close();
      limiter?.stop();
      (registry as { stop?: () => void }).stop?.();
      await store.close();
    }
  }
  return out;
}
