// The Control service's methods in the proto3 JSON mapping (proto/mcpgw/v1/control.proto): one
// function per RPC from a request's JSON to a response's JSON, shared by gRPC and HTTP /v1.
import type { ServerEntry } from '../liveconfig/index.js';
import type { LimitUsage, TenantUsage } from '../limits/index.js';
import type { SessionBinding } from '../sessions/index.js';
import { timestampJson, type Json, type JsonObject } from './json.js';
import type { ControlService, DrainView, PodView } from './service.js';

export type ControlMethod = (request: JsonObject) => Promise<JsonObject>;
export type ControlMethods = Record<ControlMethodName, ControlMethod>;
export type ControlMethodName =
  | 'ListServers'
  | 'GetServer'
  | 'ApplyServer'
  | 'DeleteServer'
  | 'ListPods'
  | 'DrainPod'
  | 'UndrainPod'
  | 'ListSessions'
  | 'EndSession'
  | 'GetTenantQuota'
  | 'SetTenantQuota'
  | 'GetConfigVersion';

const str = (v: Json | undefined): string => (typeof v === 'string' ? v : '');
const SOURCES = { file: 'CONFIG_SOURCE_FILE', kubernetes: 'CONFIG_SOURCE_KUBERNETES', api: 'CONFIG_SOURCE_API' } as const;
const DRAIN_SOURCES = { annotation: 'DRAIN_SOURCE_ANNOTATION', admin: 'DRAIN_SOURCE_ADMIN', terminating: 'DRAIN_SOURCE_TERMINATING' } as const;
const SESSION_KINDS = { streamable: 'SESSION_KIND_STREAMABLE', 'legacy-sse': 'SESSION_KIND_LEGACY_SSE', task: 'SESSION_KIND_TASK' } as const;

function origin(e: ServerEntry): JsonObject {
  return { source: SOURCES[e.origin.source], ref: e.origin.ref, version: e.origin.version };
}

function serverJson(e: ServerEntry): JsonObject {
  // A round trip through JSON drops undefined members; the spec holds only references to secrets.
  return { name: e.name, origin: origin(e), spec: JSON.parse(JSON.stringify(e.spec)) as JsonObject };
}

function podJson(p: PodView): JsonObject {
  const out: JsonObject = { host: p.host, inLoadBalancer: p.inLoadBalancer, ready: p.ready, terminating: p.terminating, converging: p.converging, draining: p.drainingSince !== undefined, liveSessions: String(p.liveSessions) };
  if (p.drainingSince !== undefined) out.drainingSince = timestampJson(p.drainingSince);
  if (p.drainSource) out.drainSource = DRAIN_SOURCES[p.drainSource];
  return out;
}

function drainJson(d: DrainView): JsonObject {
  return { pod: d.pod, draining: d.draining, ...(d.since !== undefined ? { drainingSince: timestampJson(d.since) } : {}) };
}

export function sessionJson(b: SessionBinding): JsonObject {
  const out: JsonObject = { id: b.id, server: b.server, kind: SESSION_KINDS[b.kind], pod: b.pod, revision: b.revision, createTime: timestampJson(b.createdAt), lastSeenTime: timestampJson(b.lastSeenAt) };
  if (b.principal) out.principal = b.principal;
  if (b.recoveries) out.recoveries = b.recoveries;
  return out;
}

function limitJson(l: LimitUsage): JsonObject {
  const out: JsonObject = { name: l.name, kind: l.kind, per: [...l.per], configured: String(l.configured), effective: String(l.effective) };
  for (const k of ['override', 'windowSeconds', 'used', 'remaining', 'resetSeconds'] as const) {
    const v = l[k];
    if (v !== undefined) out[k] = String(v);
  }
  return out;
}

function quotaJson(u: TenantUsage): JsonObject {
  return { tenant: u.tenant, limits: u.limits.map(limitJson) };
}

export function controlMethods(control: ControlService): ControlMethods {
  return {
    ListServers: async () => {
      const { version, servers } = control.configVersion();
      return { servers: servers.map(serverJson), configVersion: version };
    },
    GetServer: async (r) => serverJson(control.server(str(r.name))),
    ApplyServer: async (r) => serverJson(await control.applyServer(str(r.name), r.spec as JsonObject | undefined)),
    DeleteServer: async (r) => ({ name: str(r.name), configVersion: await control.deleteServer(str(r.name)) }),
    ListPods: async (r) => ({
      servers: (await control.pods(str(r.server) || undefined)).map((s) => ({ server: s.server, endpointsKnown: s.endpointsKnown, pods: s.pods.map(podJson) })),
    }),
    DrainPod: async (r) => drainJson(await control.drain(str(r.pod))),
    UndrainPod: async (r) => drainJson(await control.undrain(str(r.pod))),
    ListSessions: async (r) => {
      const q: Parameters<ControlService['sessions']>[0] = {};
      for (const k of ['server', 'pod', 'principal', 'pageToken'] as const) if (str(r[k])) q[k] = str(r[k]);
      if (typeof r.pageSize === 'number') q.pageSize = r.pageSize;
      const page = await control.sessions(q);
      return { sessions: page.items.map(sessionJson), ...(page.nextCursor ? { nextPageToken: page.nextCursor } : {}) };
    },
    EndSession: async (r) => sessionJson(await control.endSession(str(r.id), str(r.server) || undefined)),
    GetTenantQuota: async (r) => quotaJson(await control.quota(str(r.tenant))),
    SetTenantQuota: async (r) => {
      const changes: Record<string, number | null> = {};
      for (const [name, v] of Object.entries((r.limits ?? {}) as Record<string, string>)) changes[name] = Number(v);
      for (const name of (r.resetLimits ?? []) as string[]) changes[name] = null;
      return quotaJson(await control.setQuota(str(r.tenant), changes));
    },
    GetConfigVersion: async () => {
      const { version, servers } = control.configVersion();
      return { version, items: servers.map((e) => ({ kind: 'server', name: e.name, origin: origin(e) })) };
    },
  };
}
