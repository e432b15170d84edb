// The MCPServer custom resource (mcpgw.io/v1alpha1): its spec mirrors a servers[] item of gateway.yaml,
// with the Service of the resource's own namespace in place of `endpoints` and limits scoped to it.
// The CRD's OpenAPI schema is generated from mcpServerSpecSchema (scripts/export-schema.ts).
import { z } from 'zod';
import { limitSchema, serverFieldsSchema, validatePart, type PathProblem } from '../config/index.js';
import type { DeclaredServer } from './compose.js';

export const MCPSERVER = { group: 'mcpgw.io', version: 'v1alpha1', plural: 'mcpservers', kind: 'MCPServer' } as const;

const serviceSchema = z
  .strictObject({
    name: z.string().min(1).max(63).describe('Service in the MCPServer\'s namespace whose EndpointSlices hold the server\'s pods.'),
    port: z.union([z.string().min(1), z.int().min(1).max(65535)]).optional().describe('EndpointSlice port name (the Service port name) or number; optional when the Service has one port.'),
    resyncSeconds: z.int().min(10).max(86_400).default(300).describe('Full re-list interval, on top of the watch.'),
  })
  .describe('Where the pods are: the Service\'s EndpointSlices, as Envoy\'s cluster sees them.');

const scopedLimitSchema = limitSchema.describe('A limit counted for this server only; named "<server>.<name>" in metrics and answers.');

export const mcpServerSpecSchema = serverFieldsSchema
  .omit({ name: true, endpoints: true })
  .extend({
    service: serviceSchema.optional().describe('The Service (in this resource\'s namespace) whose EndpointSlices hold the server\'s pods; without it Envoy picks pods and mcpgw learns them.'),
    limits: z.array(scopedLimitSchema).max(32).optional().describe('Limits of this server (the limits[] item of gateway.yaml; match.servers is set to this server).'),
  })
  .describe('An MCP server served by mcpgw: the servers[] item of gateway.yaml as a namespaced resource.');

export interface McpServerObject {
  metadata?: { name?: string; namespace?: string; generation?: number; resourceVersion?: string };
  spec?: unknown;
  status?: { observedGeneration?: number; conditions?: Condition[] };
}

export interface Condition {
  type: 'Accepted' | 'Ready';
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

/** The server an MCPServer declares, or the spec's problems (paths from `spec`). */
export function declaredServer(obj: McpServerObject): { ok: true; server: DeclaredServer } | { ok: false; problems: PathProblem[] } {
  const name = obj.metadata?.name ?? '';
  const namespace = obj.metadata?.namespace ?? '';
  const spec = validatePart(mcpServerSpecSchema, obj.spec ?? {});
  if (!spec.ok) return { ok: false, problems: spec.problems.map((p) => ({ ...p, path: ['spec', ...p.path] })) };
  // The validated spec is only a check: the item handed on is the author's, so defaults are applied once, by the config schema.
  const raw = (obj.spec ?? {}) as Record<string, unknown> & { service?: { name: string; port?: string | number; resyncSeconds?: number }; limits?: Array<Record<string, unknown>> };
  const { service, limits, ...fields } = raw;
  const item = {
    ...fields,
    name,
    ...(service ? { endpoints: { kubernetes: { namespace, service: service.name, ...(service.port !== undefined ? { port: service.port } : {}), ...(service.resyncSeconds !== undefined ? { resyncSeconds: service.resyncSeconds } : {}) } } } : {}),
  };
  const scoped = (limits ?? []).map((l) => ({ ...l, name: `${name}.${String(l.name)}`, match: { ...(l.match as object | undefined), servers: [name] } }));
  return { ok: true, server: { name, item, limits: scoped } };
}
