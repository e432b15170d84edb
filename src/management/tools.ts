// The management tools: the control service as MCP tools, each with a JSON Schema input (zod shapes),
// an output schema and a structured result. Results are the control API's own proto3 JSON (the same
// the gRPC and HTTP /v1 views answer), so an agent, `mcpgw ctl` and a script see one shape. Every
// call is audited; a refusal is an isError result whose text says why.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { deploySchema, type ServerRegistrar } from '../provision/index.js';
import type { ControlMethods, JsonObject } from '../control/index.js';
import type { Calls } from './calls.js';
import type { TenantDirectory } from './tenants.js';

export interface ToolDeps {
  methods: ControlMethods;
  registrar: ServerRegistrar;
  tenants: TenantDirectory;
  calls: Calls;
}

const name = z.string().min(1).max(63).describe('Server name (a DNS-1123 label).');
const loose = z.looseObject({});
const serverJson = z.looseObject({
  name: z.string(),
  origin: z.looseObject({ source: z.string(), ref: z.string(), version: z.string() }),
  spec: z.record(z.string(), z.unknown()),
});
const objectRef = z.object({ apiVersion: z.string(), kind: z.string(), namespace: z.string(), name: z.string() });
const health = z.object({
  state: z.enum(['ready', 'progressing', 'stuck']),
  desiredReplicas: z.number(),
  readyEndpoints: z.number(),
  reasons: z.array(z.string()),
});

const READ: ToolAnnotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };
const CHANGE: ToolAnnotations = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false };
const DESTRUCTIVE: ToolAnnotations = { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false };

type Shape = Record<string, z.ZodType>;

function define<I extends Shape>(
  server: McpServer,
  deps: ToolDeps,
  toolName: string,
  config: { title: string; description: string; input: I; output: Shape; annotations: ToolAnnotations },
  run: (args: z.infer<z.ZodObject<I>>) => Promise<JsonObject>,
): void {
  server.registerTool(
    toolName,
    { title: config.title, description: config.description, inputSchema: config.input, outputSchema: z.looseObject(config.output), annotations: { title: config.title, ...config.annotations } },
    // Outputs are open objects: the control API may add fields, and a client must not then fail.
    // The SDK has validated the arguments against the input shape before this runs.
    (async (args: z.infer<z.ZodObject<I>>): Promise<CallToolResult> => {
      const outcome = await deps.calls.run('tools/call', toolName, args, () => run(args));
      if (!outcome.ok) return { isError: true, content: [{ type: 'text', text: outcome.message }] };
      return { structuredContent: outcome.value, content: [{ type: 'text', text: JSON.stringify(outcome.value, null, 2) }] };
    }) as never,
  );
}

export function registerTools(server: McpServer, deps: ToolDeps): void {
  const { methods, registrar } = deps;

  define(server, deps, 'list_servers', {
    title: 'List MCP servers',
    description: 'Every MCP server mcpgw routes to, with where its configuration came from (file, kubernetes, api) and the configuration version.',
    input: {},
    output: { servers: z.array(serverJson), configVersion: z.string() },
    annotations: READ,
  }, () => methods.ListServers({}));

  define(server, deps, 'get_server', {
    title: 'Get one MCP server',
    description: 'One server\'s configuration and origin; for a server mcpgw deployed, its health: pods ready in the endpoint set against the replicas asked for, and why a rollout is stuck (e.g. ImagePullBackOff).',
    input: { name },
    output: { server: serverJson, deployment: z.object({ namespace: z.string(), workload: z.string(), health }).optional() },
    annotations: READ,
  }, async ({ name: n }) => {
    const status = await registrar.status(n);
    return { server: await methods.GetServer({ name: n }), ...(status.deployment ? { deployment: status.deployment as unknown as JsonObject } : {}) };
  });

  define(server, deps, 'register_server', {
    title: 'Register (and deploy) an MCP server',
    description:
      'Adds a server to mcpgw\'s configuration (the servers[] item of gateway.yaml as `spec`, without name). With `deploy` (when provisioning is enabled) mcpgw also creates its StatefulSet or Deployment, Service and DestinationRule in an allowed namespace and points the server at them. Refused when the name is taken, the image is not pinned by digest while digests are required, or the namespace is not allowed. Environment values that are credentials must be Secret references.',
    input: {
      name,
      spec: z.record(z.string(), z.unknown()).describe('The server: match.hosts / pathPrefix, tools, auth, policy, upstream, affinity, recovery (and endpoints when not deploying).'),
      deploy: deploySchema.optional(),
    },
    output: { server: serverJson, objects: z.array(objectRef).describe('Kubernetes objects created (empty without deploy).') },
    annotations: CHANGE,
  }, async ({ name: n, spec, deploy }) => {
    const r = await registrar.register(n, spec as Record<string, unknown>, deploy);
    return { server: await methods.GetServer({ name: r.server.name }), objects: r.objects as unknown as JsonObject[] };
  });

  define(server, deps, 'remove_server', {
    title: 'Remove an MCP server',
    description: 'Removes an API-registered server (its sessions end with 404) and deletes exactly the Kubernetes objects mcpgw created for it.',
    input: { name },
    output: { name: z.string(), configVersion: z.string(), deleted: z.array(objectRef) },
    annotations: DESTRUCTIVE,
  }, async ({ name: n }) => (await registrar.remove(n)) as unknown as JsonObject);

  define(server, deps, 'list_pods', {
    title: 'List pods',
    description: 'Pods per server as mcpgw\'s hash mirror sees them: in the load balancer, ready, draining, converging, live sessions.',
    input: { server: name.optional().describe('Only this server.') },
    output: { servers: z.array(z.looseObject({ server: z.string(), endpointsKnown: z.boolean(), pods: z.array(loose) })) },
    annotations: READ,
  }, ({ server: s }) => methods.ListPods(s ? { server: s } : {}));

  define(server, deps, 'drain_pod', {
    title: 'Drain a pod',
    description: 'Stops new sessions on a pod (ip:port as in list_pods); its sessions keep routing until the drain deadline. `cancel: true` undrains it.',
    input: { pod: z.string().min(1).max(64).describe('Pod address "ip:port".'), cancel: z.boolean().optional().describe('Undrain instead.') },
    output: { pod: z.string(), draining: z.boolean(), drainingSince: z.string().optional() },
    annotations: DESTRUCTIVE,
  }, ({ pod, cancel }) => (cancel ? methods.UndrainPod({ pod }) : methods.DrainPod({ pod })));

  define(server, deps, 'list_sessions', {
    title: 'List sessions',
    description: 'Live MCP sessions, filtered by server, pod or principal, a page at a time.',
    input: {
      server: name.optional(),
      pod: z.string().max(64).optional(),
      principal: z.string().max(256).optional(),
      pageSize: z.int().min(1).max(500).optional(),
      pageToken: z.string().max(256).optional().describe('nextPageToken of the previous page.'),
    },
    output: { sessions: z.array(loose), nextPageToken: z.string().optional() },
    annotations: READ,
  }, (q) => methods.ListSessions(q as JsonObject));

  define(server, deps, 'end_session', {
    title: 'End a session',
    description: 'Ends one session: its next request gets 404 and the client starts a new one.',
    input: { id: z.string().min(1).max(256).describe('The Mcp-Session-Id.'), server: name.optional().describe('Needed only when two servers hold the same id.') },
    output: { id: z.string(), server: z.string(), pod: z.string() },
    annotations: DESTRUCTIVE,
  }, ({ id, server: s }) => methods.EndSession({ id, ...(s ? { server: s } : {}) }));

  define(server, deps, 'tenant_quota', {
    title: 'Get or set a tenant\'s quota',
    description: 'A tenant\'s effective limits and usage. With `set` (limit name → number) or `reset` (limit names) it changes the tenant\'s own numbers on every replica. Refused for a tenant mcpgw does not know.',
    input: {
      tenant: z.string().min(1).max(256),
      set: z.record(z.string().max(256), z.number().int().min(0)).optional().describe('Limit name → the tenant\'s number.'),
      reset: z.array(z.string().max(256)).max(64).optional().describe('Limits that go back to the configured number.'),
    },
    output: { tenant: z.string(), limits: z.array(loose) },
    annotations: DESTRUCTIVE,
  }, async ({ tenant, set, reset }) => {
    await deps.tenants.assertKnown(tenant);
    if (!set && !reset) return methods.GetTenantQuota({ tenant });
    return methods.SetTenantQuota({ tenant, limits: Object.fromEntries(Object.entries(set ?? {}).map(([k, v]) => [k, String(v)])), resetLimits: reset ?? [] });
  });
}
