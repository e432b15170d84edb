// Prometheus metrics (prom-client). Label values stay low-cardinality: method names outside the MCP
// vocabulary become "other", servers come from config.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Decision } from '../core/index.js';

export type Hook = 'ext_authz' | 'ext_proc_request' | 'ext_proc_response';

const KNOWN_METHODS = new Set([
  'initialize', 'ping', 'tools/list', 'tools/call', 'resources/list', 'resources/templates/list', 'resources/read',
  'resources/subscribe', 'resources/unsubscribe', 'prompts/list', 'prompts/get', 'completion/complete', 'logging/setLevel',
  'server/discover', 'subscriptions/listen', 'tasks/get', 'tasks/update', 'tasks/cancel', 'notifications/initialized',
  'notifications/cancelled', 'notifications/progress', 'notifications/roots/list_changed', 'response',
]);

function methodLabel(method: string | undefined): string {
  if (method === undefined) return 'none';
  if (method.includes(',')) return 'batch';
  return KNOWN_METHODS.has(method) ? method : 'other';
}

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'hook' | 'server' | 'method' | 'decision' | 'reason'>;
  private readonly decisionSeconds: Histogram<'hook'>;
  readonly streamsOpen: Gauge<'service'>;
  readonly grpcErrors: Counter<'service'>;
  readonly sessionsCreated: Counter<'server' | 'kind'>;
  readonly sessionsEnded: Counter<'server' | 'reason'>;
  readonly pinningCorrections: Counter<'server'>;
  readonly sessionMisroutes: Counter<'server' | 'reason'>;
  readonly affinityKeysUnconverged: Counter<'server'>;
  readonly sessionRecoveries: Counter<'server' | 'trigger' | 'result'>;
  readonly recoveryHandshakeSeconds: Histogram<'server'>;
  readonly storeErrors: Counter<'op'>;
  readonly sessionBindingsLost: Counter;
  readonly storeFallbacks: Counter<'op' | 'policy'>;
  readonly kubernetesWatchErrors: Counter<'server' | 'kind'>;
  /** Rate-limit checks by configured limit name and outcome (allowed, or the refusal reason: exceeded, anomaly, store_unavailable). */

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'mcpgw_' });
    this.requests = new Counter({
      name: 'mcpgw_requests_total',
      help: 'MCP request decisions by hook, server, JSON-RPC method, decision and reason.',
      labelNames: ['hook', 'server', 'method', 'decision', 'reason'],
      registers: [this.registry],
    });
    this.decisionSeconds = new Histogram({
      name: 'mcpgw_decision_duration_seconds',
      help: 'Time mcpgw spent deciding one Envoy message, per hook.',
      labelNames: ['hook'],
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1],
      registers: [this.registry],
    });
    this.streamsOpen = new Gauge({
      name: 'mcpgw_grpc_streams_open',
      help: 'gRPC calls and streams currently open, per service.',
      labelNames: ['service'],
      registers: [this.registry],
    });
    this.sessionsCreated = new Counter({
      name: 'mcpgw_sessions_created_total',
      help: 'Sessions bound to a pod, by server and kind (streamable, legacy-sse, task).',
      labelNames: ['server', 'kind'],
      registers: [this.registry],
    });
    this.sessionsEnded = new Counter({
      name: 'mcpgw_sessions_ended_total',
      help: 'Session bindings removed, by reason: deleted (client DELETE), pod_gone, upstream_lost, expired.',
      labelNames: ['server', 'reason'],
      registers: [this.registry],
    });
    this.pinningCorrections = new Counter({
      name: 'mcpgw_session_pinning_corrections_total',
      help: 'New sessions served by another pod than the one mcpgw chose (its view of the endpoints differed from Envoy\'s).',
      labelNames: ['server'],
      registers: [this.registry],
    });
    this.sessionMisroutes = new Counter({
      name: 'mcpgw_session_misroutes_total',
      help: "Requests of a session answered by another pod than the session's (an Envoy hashing over another endpoint set), by reason: session_not_found (the client got a retriable 503, the session survives), answered (passed through).",
      labelNames: ['server', 'reason'],
      registers: [this.registry],
    });
    this.affinityKeysUnconverged = new Counter({
      name: 'mcpgw_affinity_keys_unconverged_total',
      help: 'Pods for which a key-table build found no affinity key right under every endpoint set of the convergence window (they got a key right under the current set only).',
      labelNames: ['server'],
      registers: [this.registry],
    });
    this.sessionRecoveries = new Counter({
      name: 'mcpgw_session_recoveries_total',
      help: 'Sessions mcpgw tried to re-establish on another pod (servers[].recovery), by trigger (pod_gone, drain_expired, draining, upstream_lost) and result (ok, or why not: not_recorded, limit, no_pod, timeout, handshake_error, store_unavailable).',
      labelNames: ['server', 'trigger', 'result'],
      registers: [this.registry],
    });
    this.recoveryHandshakeSeconds = new Histogram({
      name: 'mcpgw_session_recovery_handshake_seconds',
      help: 'Time of a replayed handshake (initialize + notifications/initialized) on the new pod.',
      labelNames: ['server'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
    this.storeErrors = new Counter({
      name: 'mcpgw_store_errors_total',
      help: 'Store (Redis) commands that failed or timed out, by operation.',
      labelNames: ['op'],
      registers: [this.registry],
    });
    this.sessionBindingsLost = new Counter({
      name: 'mcpgw_session_bindings_lost_total',
      help: 'Session bindings this replica wrote that Redis no longer held after a failure (a failover lost them); their clients get 404 and re-initialize.',
      registers: [this.registry],
    });
    this.storeFallbacks = new Counter({
      name: 'mcpgw_store_unavailable_decisions_total',
      help: 'Requests decided by the whenUnavailable policy because the store could not answer.',
      labelNames: ['op', 'policy'],
      registers: [this.registry],
    });
    this.kubernetesWatchErrors = new Counter({
      name: 'mcpgw_kubernetes_watch_errors_total',
      help: 'Failed Kubernetes list or watch calls (retried), by server and resource kind.',
      labelNames: ['server', 'kind'],
      registers: [this.registry],
    });
    this.grpcErrors = new Counter({
      name: 'mcpgw_grpc_stream_errors_total',
      help: 'gRPC streams that ended in an error other than the normal end-of-stream cancel.',
      labelNames: ['service'],
      registers: [this.registry],
    });
  }

  /** Live sessions per server and pod, read from the registry when Prometheus scrapes. */
  registerLiveSessions(read: () => Promise<Array<{ server: string; pod: string; sessions: number }>>): void {
    new Gauge({
      name: 'mcpgw_sessions_live',
      help: 'Live (unexpired) MCP sessions per server and pod.',
      // Not `pod`: Prometheus' scrape target already has that label (the mcpgw pod) and would rename ours.
      labelNames: ['server', 'upstream_pod'],
      registers: [this.registry],
      async collect() {
        this.reset();
        try {
          for (const r of await read()) this.set({ server: r.server, upstream_pod: r.pod }, r.sessions);
        } catch {
          // store unavailable: the series disappear for this scrape; mcpgw_store_errors_total says why
        }
      },
    });
  }

  /** 1 while /readyz would answer 200, read when Prometheus scrapes (alerts can't see readiness otherwise). */
  registerReadiness(isReady: () => Promise<boolean>): void {
    new Gauge({
      name: 'mcpgw_ready',
      help: '1 when this replica is ready to serve (its /readyz answers 200), else 0.',
      registers: [this.registry],
      async collect() {
        this.set((await isReady().catch(() => false)) ? 1 : 0);
      },
    });
  }

  observeDecision(hook: Hook, decision: Decision, seconds: number): void {
    const s = decision.summary;
    this.requests.inc({
      hook,
      server: s.server ?? 'none',
      method: methodLabel(s.method),
      decision: decision.kind,
      reason: decision.kind === 'allow' ? 'allowed' : decision.reason,
    });
    this.decisionSeconds.observe({ hook }, seconds);
  }

  observeLatency(hook: Hook, seconds: number): void {
    this.decisionSeconds.observe({ hook }, seconds);
  }
}
