// The bridge's own Prometheus metrics, on its /metrics. Per-session bytes are a histogram observed when
// a session ends: a label per session would grow without bound.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type ExitReason = 'deleted' | 'disconnected' | 'idle' | 'exited' | 'protocol_error' | 'shutdown' | 'spawn_failed';

export class BridgeMetrics {
  readonly registry = new Registry();
  readonly live = new Gauge({ name: 'mcpgw_bridge_children_live', help: 'stdio server processes running now', registers: [this.registry] });
  readonly spawns = new Counter({ name: 'mcpgw_bridge_spawns_total', help: 'stdio server processes started', registers: [this.registry] });
  readonly exits = new Counter({
    name: 'mcpgw_bridge_exits_total',
    help: 'stdio server processes ended, by why the session ended',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly refused = new Counter({
    name: 'mcpgw_bridge_sessions_refused_total',
    help: 'initialize requests refused with 503 (cap reached or draining)',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly bytes = new Counter({
    name: 'mcpgw_bridge_bytes_total',
    help: 'JSON-RPC bytes relayed, to_child or from_child',
    labelNames: ['direction'],
    registers: [this.registry],
  });
  readonly sessionBytes = new Histogram({
    name: 'mcpgw_bridge_session_bytes',
    help: 'JSON-RPC bytes one session relayed over its life, by direction',
    labelNames: ['direction'],
    buckets: [1e3, 1e4, 1e5, 1e6, 1e7, 1e8],
    registers: [this.registry],
  });
  readonly dropped = new Counter({
    name: 'mcpgw_bridge_dropped_lines_total',
    help: 'stdout lines from a child that were not JSON-RPC, or had no one to go to',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly timeouts = new Counter({ name: 'mcpgw_bridge_request_timeouts_total', help: 'requests answered with a timeout error', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'mcpgw_bridge_' });
  }
}
