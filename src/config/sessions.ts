// Schemas for session pinning: the affinity header per server, where its endpoints come from, session
// lifetimes, the Redis store and the admin credential.
import { z } from 'zod';
import { integer } from './fields.js';

const HEADER_NAME = /^[a-z0-9][a-z0-9-]*$/;
// Owned by Envoy, by MCP or by mcpgw for other purposes: an affinity header must never collide.
const RESERVED_HEADERS = new Set(['mcp-session-id', 'mcp-protocol-version', 'mcp-method', 'mcp-name', 'x-mcp-method', 'x-mcp-name', 'authorization', 'host', 'content-type', 'content-length']);

function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

export const affinitySchema = z
  .strictObject({
    header: z
      .string()
      .regex(HEADER_NAME, { error: (iss) => `must be a lower-case header name, got ${JSON.stringify(iss.input)}` })
      .refine((h) => !h.startsWith('x-envoy-'), { error: 'must not start with "x-envoy-": Envoy rejects ext_proc mutations of its own headers' })
      .refine((h) => !RESERVED_HEADERS.has(h), { error: (iss) => `${JSON.stringify(iss.input)} is reserved` })
      .default('x-mcp-affinity')
      .describe("Header mcpgw writes for Envoy's hash policy (DestinationRule consistentHash.httpHeaderName). Client copies are always overwritten."),
    mode: z
      .enum(['hash', 'address'])
      .default('hash')
      .describe('"hash": a key that Envoy\'s ring hash / Maglev maps to the pod; "address": base64("ip:port") for Envoy\'s stateful-session header filter.'),
    loadBalancer: z
      .enum(['ring_hash', 'maglev'])
      .default('ring_hash')
      .describe('The Envoy LB algorithm of the cluster, mirrored exactly (DestinationRule ringHash or maglev).'),
    minimumRingSize: integer(1, 8_388_608).default(1024).describe('ringHash.minimumRingSize of the DestinationRule.'),
    tableSize: integer(2, 5_000_011)
      .refine(isPrime, { error: 'must be a prime number (Envoy rejects other Maglev table sizes)' })
      .default(65537)
      .describe('maglev.tableSize of the DestinationRule (prime).'),
    convergenceSeconds: integer(0, 600)
      .default(30)
      .describe(
        'How long an Envoy may still hold an endpoint set after mcpgw saw the next one (istiod debounce + push; size it from pilot_proxy_convergence_time). Hash mode keeps keys right under every set of this window and gives new sessions only to pods in all of them. 0: Envoy is assumed never behind.',
      ),
  })
  .readonly();

export const recoverySchema = z
  .strictObject({
    mode: z
      .enum(['off', 'reinitialize'])
      .default('off')
      .describe(
        '"off": a session whose pod is gone gets 404 and the client starts over. "reinitialize": mcpgw replays the client\'s initialize on another pod and maps the session id, so the client keeps its session. Only for servers whose session state is rebuilt by the handshake alone or kept outside the pod.',
      ),
    maxPerSession: integer(1, 100).default(3).describe('Most recoveries of one session; past it, the session gets 404.'),
    handshakeTimeoutSeconds: integer(1, 60).default(5).describe('Time for the replayed initialize and notifications/initialized on the new pod.'),
  })
  .readonly();

const hostKey = z
  .string()
  .regex(/^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\]):\d{1,5}$/, {
    error: (iss) => `must be an endpoint "ip:port" as Envoy keys hosts (IPv6 as "[addr]:port"), got ${JSON.stringify(iss.input)}`,
  });

export const endpointsSchema = z.union([
  z
    .strictObject({
      static: z.array(hostKey).min(1).readonly().describe('Pod endpoints "ip:port", exactly as Envoy\'s cluster holds them.'),
    })
    .readonly(),
  z
    .strictObject({
      kubernetes: z
        .strictObject({
          namespace: z.string().min(1).describe('Namespace of the MCP server Service.'),
          service: z.string().min(1).describe('Service name; its EndpointSlices are watched.'),
          port: z.union([z.string().min(1), integer(1, 65535)]).optional().describe('EndpointSlice port name (the Service port name) or number; optional when the Service has one port.'),
          kubeconfig: z.string().optional().describe('kubeconfig file; default: KUBECONFIG, then the in-cluster service account.'),
          resyncSeconds: integer(10, 86_400).default(300).describe('Full re-list interval, on top of the watch.'),
        })
        .readonly(),
    })
    .readonly(),
]);

export const sessionsSchema = z
  .strictObject({
    ttlSeconds: integer(60, 30 * 86_400).default(86_400).describe('Sliding lifetime of a session binding: each request extends it.'),
    drainDeadlineSeconds: integer(0, 7 * 86_400).default(3600).describe('How long sessions on a draining pod keep routing to it before they get 404.'),
    maxInMemory: integer(1000, 100_000_000).default(1_000_000).describe('Memory store only: most bindings kept (about 300 bytes each); beyond it the least recently used session ends early.'),
  })
  .readonly();

// "host:port" of a Sentinel or a Cluster seed node; IPv6 hosts in brackets ("[::1]:6379").
const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):([0-9]{1,5})$/;
const hostPort = z.string().refine((v) => HOST_PORT.test(v) && Number(HOST_PORT.exec(v)![2]) <= 65535, {
  error: (iss) => `must be "host:port", got ${JSON.stringify(iss.input)}`,
});
const hostPorts = z.array(hostPort).min(1, { error: 'list at least one "host:port"' }).max(64).readonly();

const sentinelSchema = z
  .strictObject({
    addresses: hostPorts.describe('Sentinels to ask for the current master, "host:port" each (usually three).'),
    masterName: z.string().min(1).max(256).describe('The master group name the Sentinels monitor (sentinel monitor <name> ...).'),
    tls: z.boolean().default(false).describe('TLS to the Sentinels and to the master.'),
  })
  .readonly();

const clusterSchema = z
  .strictObject({
    nodes: hostPorts.describe('Seed nodes, "host:port" each: any reachable one is enough to discover the rest.'),
    slotGroups: integer(1, 1024)
      .default(16)
      .describe('How many hash slots session bindings spread over: each session lives in one group with its indexes, so a write stays one atomic script. More groups spread load over more masters; listing and live counts read every group.'),
    tls: z.boolean().default(false).describe('TLS to every cluster node.'),
  })
  .readonly();

const replicationWaitSchema = z
  .strictObject({
    waitReplicas: integer(0, 16)
      .default(0)
      .describe('After each write, wait (Redis WAIT) until this many replicas have it: a failover then cannot lose it. 0: do not wait (asynchronous replication; see docs/operations.md, "Failover").'),
    waitTimeoutMs: integer(1, 10_000).default(100).describe('Longest WAIT; the write still counts as done after it (a failover may then lose it).'),
  })
  .readonly();

export const redisStoreSchema = z
  .strictObject({
    kind: z.literal('redis').describe('Redis: bindings shared by every mcpgw replica.'),
    url: z.string().optional().describe('redis:// or rediss:// URL of a standalone Redis; default: the MCPGW_REDIS_URL environment variable. Not with sentinel or cluster.'),
    sentinel: sentinelSchema.optional().describe('Redis behind Sentinel: mcpgw asks the Sentinels for the master and follows failovers. The password, if any, comes from MCPGW_REDIS_PASSWORD.'),
    cluster: clusterSchema.optional().describe('Redis Cluster: keys carry hash tags so every script stays in one slot. The password, if any, comes from MCPGW_REDIS_PASSWORD.'),
    bindingWrites: replicationWaitSchema.optional().describe('Durability of new and re-bound session bindings against a failover.'),
    limitWrites: replicationWaitSchema.optional().describe('Durability of limit counter updates against a failover (a lost update re-admits what it counted).'),
    keyPrefix: z.string().default('mcpgw:').describe('Prefix of every key mcpgw writes. With cluster, it may not contain "{" or "}" (hash tags are mcpgw\'s).'),
    commandTimeoutMs: integer(10, 10_000).default(500).describe('A Redis command slower than this counts as Redis being unavailable.'),
    cacheSize: integer(0, 10_000_000).default(100_000).describe('Sessions kept in each replica\'s in-process cache in front of Redis.'),
    cacheTtlSeconds: integer(1, 3600).default(60).describe('How long a cached binding is trusted before Redis is asked again.'),
    sessionBuckets: integer(1, 1_048_576)
      .default(4096)
      .describe('Buckets each server\'s session list is split into. Size it to peak live sessions per server ÷ 64: a bucket of at most 128 sessions stays in Redis\'s compact encoding (about 280 bytes per session in all); more per bucket cost about 90 bytes per session more. Changing it re-orders listings and leaves sessions listed only from their next request.'),
    whenUnavailable: z
      .enum(['fail-closed', 'fail-open'])
      .default('fail-closed')
      .describe('New sessions and cache misses while Redis is down: "fail-closed" answers 503 with Retry-After; "fail-open" routes without recording.'),
    notReadyWhenUnavailable: z.boolean().default(false).describe('Report /readyz 503 while Redis is down (after start-up, which always waits for Redis).'),
  })
  .superRefine((s, ctx) => {
    const topologies = [s.url !== undefined && 'url', s.sentinel && 'sentinel', s.cluster && 'cluster'].filter((t): t is string => typeof t === 'string');
    if (topologies.length > 1) ctx.addIssue({ code: 'custom', path: [topologies[1]!], message: `choose one topology: ${topologies.join(' and ')} both set` });
    if (s.cluster && /[{}]/.test(s.keyPrefix)) ctx.addIssue({ code: 'custom', path: ['keyPrefix'], message: 'may not contain "{" or "}" with cluster: mcpgw chooses the hash tags' });
    for (const field of ['bindingWrites', 'limitWrites'] as const) {
      const w = s[field];
      // A WAIT that outlasts the command timeout turns every write into an error once no replica answers.
      if (w && w.waitReplicas > 0 && w.waitTimeoutMs >= s.commandTimeoutMs) {
        ctx.addIssue({ code: 'custom', path: [field, 'waitTimeoutMs'], message: `must be less than commandTimeoutMs (${s.commandTimeoutMs})` });
      }
    }
  })
  .readonly();

export const adminSchema = z
  .strictObject({
    tokenSha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, { error: 'must be the hex SHA-256 of the admin token (64 lower-case hex digits)' })
      .optional()
      .describe('SHA-256 of the bearer token the /admin API accepts; the token itself never goes in config. Or set MCPGW_ADMIN_TOKEN. Without either, /admin is disabled.'),
    identities: z
      .array(z.string().min(1).max(2048))
      .max(100)
      .readonly()
      .optional()
      .describe('Client-certificate names (SPIFFE ids, e.g. spiffe://cluster.local/ns/ops/sa/mcpgw-admin) that may call the control API on the gRPC port without the token; needs listen.grpcTls. Envoy\'s identity does not belong here.'),
  })
  .readonly();
