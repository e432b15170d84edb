// The gateway config schema: one zod tree that validates, fills defaults, and documents itself.
// Every field has .describe(): those strings become the JSON Schema an editor shows.
// Objects are strict (unknown keys fail, so typos fail) and readonly (parsed config is frozen).
import { z } from 'zod';
import { hostPattern, integer, listenAddress, pathPrefix, serverName, toolGlob } from './fields.js';
import { checkLimitsNeedResponse, checkServerClaims } from './cross-checks.js';
import { adminSchema, affinitySchema, endpointsSchema, recoverySchema, redisStoreSchema, sessionsSchema } from './sessions.js';
import { authSchema, identitySchema, policySchema, upstreamSchema } from './security.js';
import { limitingSchema, limitsSchema } from './limits.js';
import { auditSchema, tracingSchema } from './telemetry.js';
import { checkManagementIssuer, managementSchema, provisioningSchema } from './management.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const DEFAULT_MAX_BODY_BYTES = 1_048_576;
const DEFAULT_MAX_STRING_BYTES = 262_144;
const MAX_BODY_BYTES_LIMIT = 67_108_864;
const DEFAULT_MAX_NAME_BYTES = 1024;
const DEFAULT_MAX_RESOURCE_URI_BYTES = 16_384;
const MAX_NAME_BYTES_LIMIT = 1_048_576;

const maxNameBytesSchema = z
  .strictObject({
    names: integer(1, MAX_NAME_BYTES_LIMIT)
      .default(DEFAULT_MAX_NAME_BYTES)
      .describe('Longest tool or prompt name, task id or JSON-RPC method, in UTF-8 bytes; longer ones get HTTP 400 before any matching.'),
    resourceUris: integer(1, MAX_NAME_BYTES_LIMIT)
      .default(DEFAULT_MAX_RESOURCE_URI_BYTES)
      .describe('Longest resource URI (resources/read), in UTF-8 bytes; longer ones get HTTP 400 before any matching.'),
  })
  .readonly();

const pemFile = z.string().min(1);
const grpcTlsSchema = z
  .strictObject({
    certFile: pemFile.describe('PEM certificate chain mcpgw presents on the gRPC port.'),
    keyFile: pemFile.describe('PEM private key of certFile.'),
    clientCaFile: pemFile.describe('PEM CA bundle client certificates must chain to; a caller without such a certificate is refused during the TLS handshake.'),
    allowedClients: z
      .array(z.string().min(1).max(2048))
      .min(1)
      .readonly()
      .optional()
      .describe('Only these callers: each entry is a subject alternative name (URI such as a SPIFFE id, DNS, or IP) compared exactly; a verified certificate with none of them gets PERMISSION_DENIED. Default: any certificate clientCaFile signed.'),
  })
  .readonly();

const listenSchema = z
  .strictObject({
    grpc: listenAddress
      .default('0.0.0.0:9001')
      .describe('gRPC listen address (host:port, IPv6 as [::]:9001) for ext_authz, ext_proc and gRPC health.'),
    http: listenAddress
      .default('0.0.0.0:9090')
      .describe('HTTP listen address (host:port) for /healthz, /readyz and /metrics.'),
    grpcTls: grpcTlsSchema
      .optional()
      .describe('Serve gRPC over TLS and accept only callers with a client certificate from clientCaFile (plain-Envoy deployments; docs/security.md). Without it the gRPC port is plaintext (behind Istio, mTLS comes from the sidecar).'),
  })
  .readonly();

const logSchema = z
  .strictObject({
    level: z.enum(LOG_LEVELS).default('info').describe('Lowest log level written.'),
  })
  .readonly();

const shutdownSchema = z
  .strictObject({
    graceSeconds: integer(1, 30)
      .default(8)
      .describe('Seconds in-flight streams may finish after SIGTERM before they are cut.'),
  })
  .readonly();

// A discriminated union so that a later { kind: "redis", url } is one more member.
const memoryStoreSchema = z
  .strictObject({
    kind: z.literal('memory').describe('In-process store: state is lost on restart and not shared between replicas.'),
  })
  .readonly();
const storeSchema = z.discriminatedUnion('kind', [memoryStoreSchema, redisStoreSchema]);

const requestsSchema = z
  .strictObject({
    maxBodyBytes: integer(1, MAX_BODY_BYTES_LIMIT)
      .default(DEFAULT_MAX_BODY_BYTES)
      .describe('Largest request body accepted; larger bodies get HTTP 413.'),
    maxBatchSize: integer(1, 1000)
      .default(16)
      .describe('Most elements in a JSON-RPC batch (protocol 2025-03-26).'),
    maxJsonDepth: integer(2, 512)
      .default(32)
      .describe('Deepest nesting of JSON arrays and objects accepted.'),
    maxStringBytes: integer(1, MAX_BODY_BYTES_LIMIT)
      .optional()
      .describe(`Longest JSON string value accepted, in bytes; at most maxBodyBytes. Default ${DEFAULT_MAX_STRING_BYTES}, or maxBodyBytes when that is smaller.`),
    maxNameBytes: maxNameBytesSchema.prefault({}).describe('Caps on the names policy and limits match (globs), so matching cost stays bounded.'),
  })
  .superRefine((r, ctx) => {
    if (r.maxStringBytes !== undefined && r.maxStringBytes > r.maxBodyBytes) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxStringBytes'],
        message: `must be at most requests.maxBodyBytes (${r.maxBodyBytes})`,
      });
    }
  })
  // The default follows a small maxBodyBytes down, so lowering only maxBodyBytes is never an error.
  .transform((r) => ({
    ...r,
    maxStringBytes: r.maxStringBytes ?? Math.min(DEFAULT_MAX_STRING_BYTES, r.maxBodyBytes),
  }))
  .readonly();

/** The fields of one servers[] item, before the checks that span fields (the MCPServer resource reuses them). */
export const serverFieldsSchema = z.strictObject({
  name: serverName,
  match: z
    .strictObject({
      hosts: z
        .array(hostPattern)
        .min(1, { error: 'list at least one host' })
        .readonly()
        .describe('Hosts this server answers for: exact ("mcp.example.com") or subdomain wildcard ("*.example.com").'),
      pathPrefix: pathPrefix
        .default('/')
        .describe('Request path this server answers for, with the paths below it ("/mcp" matches /mcp and /mcp/x, not /mcpx). Must start with "/".'),
    })
    .readonly()
    .describe('Which requests belong to this server: host and path prefix.'),
  tools: z
    .strictObject({
      allow: z
        .array(toolGlob)
        .readonly()
        .prefault(['*'])
        .describe('Tool name globs that may be called and listed. A tool must match one of them.'),
      deny: z
        .array(toolGlob)
        .readonly()
        .prefault([])
        .describe('Tool name globs that may never be called or listed; deny wins over allow.'),
    })
    .readonly()
    .prefault({})
    .describe('Tool-level policy for this server.'),
  auth: authSchema.optional().describe('Authentication for this server: without it, requests are anonymous.'),
  policy: policySchema.optional().describe('Who may call which tools, resources, prompts and methods. Without it every caller may use everything tools.allow/deny permits.'),
  upstream: upstreamSchema.prefault({}).describe('What reaches the MCP server: credentials passed through or injected.'),
  affinity: affinitySchema.prefault({}).describe('How mcpgw pins sessions to pods through Envoy\'s hash load balancing.'),
  recovery: recoverySchema.prefault({}).describe('What happens to a session whose pod is gone or draining: 404 (off), or re-established on another pod (reinitialize).'),
  endpoints: endpointsSchema
    .optional()
    .describe('Where the pods behind this server come from (a static list or a Kubernetes Service). Without it mcpgw uses random keys and learns each session\'s pod from Envoy.'),
  });

const serverSchema = serverFieldsSchema
  .refine((s) => s.recovery.mode === 'off' || s.endpoints !== undefined, {
    path: ['recovery', 'mode'],
    error: 'reinitialize needs servers[].endpoints: mcpgw chooses the pod a session moves to',
  })
  .readonly()
  .describe('One upstream MCP server and the requests routed to it.');

const kubernetesSchema = z
  .strictObject({
    mcpServers: z
      .strictObject({
        enabled: z.boolean().default(false).describe('Watch MCPServer resources (CRD istio/base/crd-mcpserver.yaml) and serve them beside the servers of this file.'),
        namespaces: z
          .array(z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { error: 'must be a namespace name' }).max(63))
          .readonly()
          .prefault([])
          .describe('Namespaces watched; [] watches every namespace (needs a ClusterRole).'),
        kubeconfig: z.string().optional().describe('kubeconfig file; default: KUBECONFIG, then the in-cluster service account.'),
        resyncSeconds: integer(10, 86_400).default(300).describe('Full re-list interval, on top of the watch.'),
      })
      .readonly()
      .prefault({})
      .describe('MCPServer custom resources as a source of servers (mcpgw writes their status conditions).'),
  })
  .readonly();

export const gatewayConfigSchema = z
  .strictObject({
    listen: listenSchema.prefault({}).describe('Listen addresses.'),
    log: logSchema.prefault({}).describe('Logging.'),
    shutdown: shutdownSchema.prefault({}).describe('Graceful shutdown.'),
    store: storeSchema
      .prefault({ kind: 'memory' })
      .describe('Where sessions and other shared state live: "memory" (one replica) or "redis" (shared).'),
    extProc: z
      .boolean()
      .default(true)
      .describe('Envoy runs the ext_proc filter against mcpgw (the shipped configs do). false: an ext_authz-only mesh; Envoy\'s ext_authz must then send the body (with_request_body), limits and audit lines come from ext_authz, concurrency and session limits are refused, and sessions are not pinned.'),
    audit: auditSchema.prefault({}).describe('The audit log: one line per tool call, resource read, prompt get, denial and session start / end.'),
    tracing: tracingSchema.prefault({}).describe('W3C trace propagation is always on; OpenTelemetry spans only with an OTLP endpoint.'),
    limits: limitsSchema.prefault([]).describe('Rate limits, quotas, concurrency, session caps and cost budgets (docs/limits.md).'),
    limiting: limitingSchema.prefault({}),
    identity: identitySchema.prefault({}).describe('Who may call: token issuers and API keys, shared by every server.'),
    sessions: sessionsSchema.prefault({}).describe('Session lifetimes and draining, for every server.'),
    admin: adminSchema.prefault({}).describe('Who may use the control API (gRPC, HTTP /v1) and /admin: drain pods, list sessions, apply servers.'),
    management: managementSchema.prefault({}).describe('The management MCP endpoint at /mcp on the HTTP port (docs/management.md).'),
    provisioning: provisioningSchema.prefault({}).describe('Deploying registered MCP servers onto Kubernetes (docs/management.md).'),
    requests: requestsSchema.prefault({}).describe('Limits on request bodies, checked before any parsing work.'),
    unmatchedRequests: z
      .enum(['reject', 'pass'])
      .default('reject')
      .describe('What to do with a request whose host and path match no server: "reject" refuses it with an error reply, "pass" forwards it without MCP processing.'),
    kubernetes: kubernetesSchema.prefault({}).describe('Servers declared as Kubernetes MCPServer resources (docs/control-plane.md).'),
    servers: z
      .array(serverSchema, {
        error: (iss) => (iss.input === undefined ? 'required (list at least one server)' : undefined),
      })
      .min(1, { error: 'list at least one server' })
      .superRefine(checkServerClaims, { when: () => true })
      .readonly()
      .describe('Upstream MCP servers, matched by host and path prefix. At least one.'),
  })
  .superRefine(checkLimitsNeedResponse)
  .superRefine(checkManagementIssuer)
  .readonly()
  .describe('mcp-mesh-gateway (mcpgw) configuration.');
