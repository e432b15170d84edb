// Limit metrics, registered on the gateway's Prometheus registry. Labels are limit names from
// config and fixed words, never principals or tenants, so cardinality stays bounded.
import { Counter, type Registry } from 'prom-client';
import type { RefusalReason, UnavailablePolicy } from './types.js';

export class LimitMetrics {
  private readonly refusals: Counter<'limit' | 'reason'>;
  private readonly unavailable: Counter<'policy'>;
  private readonly anomalies: Counter<'throttle'>;

  constructor(registry: Registry) {
    this.refusals = new Counter({
      name: 'mcpgw_limit_refusals_total',
      help: 'Requests refused by a limit, by limit name and reason (exceeded, anomaly, store_unavailable).',
      labelNames: ['limit', 'reason'],
      registers: [registry],
    });
    this.unavailable = new Counter({
      name: 'mcpgw_limit_store_unavailable_total',
      help: 'Limit checks the store could not answer, by the whenUnavailable policy that decided them.',
      labelNames: ['policy'],
      registers: [registry],
    });
    this.anomalies = new Counter({
      name: 'mcpgw_limit_anomalies_total',
      help: 'Principal-minutes flagged as anomalous (tools/call far above the baseline), by whether throttling is on.',
      labelNames: ['throttle'],
      registers: [registry],
    });
  }

  refused(limit: string, reason: RefusalReason): void {
    this.refusals.inc({ limit, reason });
  }

  storeUnavailable(policy: UnavailablePolicy): void {
    this.unavailable.inc({ policy });
  }

  anomaly(throttle: boolean): void {
    this.anomalies.inc({ throttle: String(throttle) });
  }
}
