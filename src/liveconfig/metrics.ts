// The configuration's metrics: which version decisions are made under, and every change by source and result.
import { Counter, Gauge, type Registry } from 'prom-client';

export class ConfigMetrics {
  readonly versionInfo: Gauge<'version'>;
  readonly reloads: Counter<'source' | 'result'>;

  constructor(registry: Registry) {
    this.versionInfo = new Gauge({ name: 'mcpgw_config_version_info', help: 'The configuration version decisions are made under (value 1).', labelNames: ['version'], registers: [registry] });
    this.reloads = new Counter({ name: 'mcpgw_config_reloads_total', help: 'Configuration changes by source (file, kubernetes, api) and result (applied, rejected, unchanged).', labelNames: ['source', 'result'], registers: [registry] });
  }

  /** Only the running version has a series, so `mcpgw_config_version_info` joins onto any query. */
  running(version: string): void {
    this.versionInfo.reset();
    this.versionInfo.set({ version }, 1);
  }
}
