// Configuration and log shapes of envoy-sim; field names follow Envoy's config protos (camelCased).
import type { ProcessingMode, ProtoStruct } from '../../src/envoy/messages.js';

export interface SimCluster {
  name: string;
  lb: 'round_robin' | 'ring_hash' | 'maglev';
  /** Route hash_policy header (ring_hash / maglev); absent header → random hash, as Envoy does. */
  hashHeader?: string;
  minimumRingSize?: number;
  tableSize?: number;
  /** Host keys "127.0.0.1:port" (what Envoy hashes, reference/envoy.md §4.2); EDS health HEALTHY. */
  endpoints: string[];
  /**
   * Hosts with EDS health DRAINING (Istio: terminating-but-serving pods of a persistent-session
   * Service, reference/envoy.md §3.6). In the cluster's host map, so a host override may reach them
   * when `overrideHostStatus` allows it; never chosen by the load balancer.
   */
  drainingEndpoints?: string[];
  /**
   * common_lb_config.override_host_status: health statuses a stateful-session host override may
   * select. Envoy's default is UNKNOWN, HEALTHY, DEGRADED; Istio sets HEALTHY, DRAINING, UNKNOWN,
   * DEGRADED for Services that keep draining endpoints.
   */
  overrideHostStatus?: OverrideHostStatus[];
}

export type OverrideHostStatus = 'UNKNOWN' | 'HEALTHY' | 'UNHEALTHY' | 'DRAINING' | 'TIMEOUT' | 'DEGRADED';
export const DEFAULT_OVERRIDE_HOST_STATUS: readonly OverrideHostStatus[] = ['UNKNOWN', 'HEALTHY', 'DEGRADED'];

/**
 * envoy.filters.http.stateful_session with header-based session state (reference/envoy.md §5.1),
 * placed just before the router, i.e. after ext_authz and ext_proc, as an ext_proc inserted before
 * it must be for its header to count. Applies to every route.
 */
export interface StatefulSessionOptions {
  /** HeaderBasedSessionState.name: the header holding base64("ip:port"). */
  header: string;
  /** strict: an override host that is absent or not allowed fails the request instead of falling back to the LB. */
  strict?: boolean;
  /** status_on_strict_destination_not_found (default 503). */
  statusOnStrictNotFound?: number;
}

export interface SimRoute {
  /** host[:port] compared case-insensitively with :authority, or '*'. */
  authority: string;
  pathPrefix?: string;
  cluster: string;
}

export interface ExtAuthzOptions {
  /** host:port of the gRPC Authorization server; several = a cluster of replicas, chosen round robin per request. */
  target: string | string[];
  withRequestBody?: { maxRequestBytes: number; allowPartialMessage?: boolean; packAsBytes?: boolean };
  timeoutMs?: number;
  failureModeAllow?: boolean;
  statusOnError?: number;
}

export interface ExtProcOptions {
  /** host:port of the gRPC ExternalProcessor server; several = replicas, chosen round robin per request. */
  target: string | string[];
  processingMode?: ProcessingMode;
  allowModeOverride?: boolean;
  messageTimeoutMs?: number;
  /** max_message_timeout; 0 disables override_message_timeout (Envoy's default). */
  maxMessageTimeoutMs?: number;
  failureModeAllow?: boolean;
  statusOnError?: number;
  mutationRules?: { allowAllRouting?: boolean; allowEnvoy?: boolean; disallowIsError?: boolean };
  requestAttributes?: string[];
  responseAttributes?: string[];
  forwardingNamespaces?: string[];
  receivingNamespaces?: string[];
}

export interface EnvoySimOptions {
  /** Downstream port (default: any free one); tests that must know the public URL up front set it. */
  listenPort?: number;
  routes: SimRoute[];
  clusters: SimCluster[];
  extAuthz?: ExtAuthzOptions;
  extProc?: ExtProcOptions;
  /** per_connection_buffer_limit_bytes (default 1 MiB): BUFFERED request body above it → 413. */
  bufferLimitBytes?: number;
  /**
   * max_requests_per_connection of the mcpgw cluster (Envoy's default: unlimited). Envoy resets
   * every ext_proc stream at its end, and Node's HTTP/2 server closes a connection after ~1000 resets
   * at more than 33/s, so the shipped config rotates connections below that (docs/deployment.md).
   */
  grpcMaxRequestsPerConnection?: number;
  statefulSession?: StatefulSessionOptions;
  /**
   * How long after setEndpoints() this proxy's clusters change: istiod debounces EDS pushes and
   * pushes each proxy at its own moment, so Envoy learns of a change later than a Kubernetes watcher
   * does (docs/operations.md, "Convergence"). Two sims with different delays are two proxies.
   */
  edsDelayMs?: number;
}

export interface SimLocalReply {
  status: number;
  /** Envoy's %RESPONSE_CODE_DETAILS% equivalent, e.g. "route_not_found", "ext_authz_denied". */
  details: string;
  body: string;
}

export interface SimLogEntry {
  /** Envoy stream id (decimal), the same id ext_authz sees in attributes.request.http.id. */
  id: string;
  method: string;
  /** :path as the client sent it. */
  path: string;
  /** Final status sent downstream (0 until response headers are written; -1 when the stream was reset). */
  status: number;
  cluster?: string;
  /** Host key of the upstream that served the request; undefined for local replies. */
  upstream?: string;
  /** The stateful-session host override the load balancer honoured (undefined: none, or it fell back to the LB). */
  overrideHost?: string;
  /** Request headers as the upstream received them (lower-case names, Host included). */
  upstreamHeaders?: Record<string, string | string[]>;
  localReply?: SimLocalReply;
  /** Stream dynamic metadata by namespace (ext_authz's and the accepted ext_proc namespaces). */
  dynamicMetadata: Record<string, ProtoStruct>;
  /** Oneof names of every ProcessingRequest sent on this request's ext_proc stream, in order. */
  extProcMessages: string[];
  /** Header mutations ext_proc asked for that the mutation rules rejected ("remove:x" / "set:x"). */
  rejectedMutations: string[];
  /** Resolves when the exchange is over (response ended, reset or client gone). */
  done: Promise<void>;
}

export const DEFAULT_BUFFER_LIMIT = 1024 * 1024;

/** ext_proc processing mode with Envoy's config defaults filled in. */
export interface FullMode {
  request_header_mode: 'SEND' | 'SKIP';
  response_header_mode: 'SEND' | 'SKIP';
  request_body_mode: string;
  response_body_mode: string;
  request_trailer_mode: 'SEND' | 'SKIP';
  response_trailer_mode: 'SEND' | 'SKIP';
}

function headerMode(m: string | undefined, dflt: 'SEND' | 'SKIP'): 'SEND' | 'SKIP' {
  return m === 'SEND' || m === 'SKIP' ? m : dflt;
}

export function configMode(m: ProcessingMode | undefined): FullMode {
  return {
    request_header_mode: headerMode(m?.request_header_mode, 'SEND'),
    response_header_mode: headerMode(m?.response_header_mode, 'SEND'),
    request_body_mode: m?.request_body_mode ?? 'NONE',
    response_body_mode: m?.response_body_mode ?? 'NONE',
    request_trailer_mode: headerMode(m?.request_trailer_mode, 'SKIP'),
    response_trailer_mode: headerMode(m?.response_trailer_mode, 'SKIP'),
  };
}

/** effectiveModeOverride: header/trailer DEFAULT inherit from config, body modes literal (unset = NONE). */
export function overrideMode(config: FullMode, o: ProcessingMode): FullMode {
  return {
    request_header_mode: headerMode(o.request_header_mode, config.request_header_mode),
    response_header_mode: headerMode(o.response_header_mode, config.response_header_mode),
    request_body_mode: o.request_body_mode ?? 'NONE',
    response_body_mode: o.response_body_mode ?? 'NONE',
    request_trailer_mode: headerMode(o.request_trailer_mode, config.request_trailer_mode),
    response_trailer_mode: headerMode(o.response_trailer_mode, config.response_trailer_mode),
  };
}

const SUPPORTED_BODY_MODES = new Set(['NONE', 'BUFFERED', 'STREAMED']);

/** The sim implements a subset of Envoy; refuse configurations it would silently get wrong. */
export function validateOptions(o: EnvoySimOptions): void {
  const names = new Set(o.clusters.map((c) => c.name));
  for (const r of o.routes) if (!names.has(r.cluster)) throw new Error(`envoy-sim: route ${r.authority}${r.pathPrefix ?? ''} names unknown cluster ${r.cluster}`);
  for (const c of o.clusters) {
    if (c.lb !== 'round_robin' && !c.hashHeader) throw new Error(`envoy-sim: cluster ${c.name}: ${c.lb} needs hashHeader`);
    validateEndpoints(c.name, c.endpoints, c.drainingEndpoints ?? []);
  }
  if (o.extProc) {
    const m = configMode(o.extProc.processingMode);
    for (const b of [m.request_body_mode, m.response_body_mode]) {
      if (!SUPPORTED_BODY_MODES.has(b)) throw new Error(`envoy-sim: ext_proc body mode ${b} is not simulated`);
    }
    if (m.request_trailer_mode === 'SEND' || m.response_trailer_mode === 'SEND') throw new Error('envoy-sim: ext_proc trailer mode SEND is not simulated');
  }
}

/** A host has one health status: it cannot be both HEALTHY and DRAINING. */
export function validateEndpoints(cluster: string, healthy: readonly string[], draining: readonly string[]): void {
  const h = new Set(healthy);
  const both = draining.filter((d) => h.has(d));
  if (both.length) throw new Error(`envoy-sim: cluster ${cluster}: ${both.join(', ')} both healthy and draining`);
}
