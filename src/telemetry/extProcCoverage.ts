// Notices an MCP server whose requests reach mcpgw's ext_authz but never its ext_proc: what an
// EnvoyFilter that matches no listener looks like (Istio drops it silently; ext_authz still runs, so
// nothing else looks wrong, but there is no pinning and no list filtering).
//
// Every request Check allows is followed by an ext_proc stream for the same request, on this replica
// or another (Envoy balances both calls independently over the mcpgw replicas). So a long run of
// allowed Checks for a server with not one ext_proc request for it here means ext_proc is not wired.
// A count, not a time window: no clock, and a quiet server is never flagged.
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from './logger.js';

/**
 * Allowed Checks in a row, for one server, without an ext_proc request for it, before it is flagged.
 * Above what a burst of concurrent requests produces (each Check's ext_proc stream follows it, so
 * about as many Checks in a row as requests in flight), and with n replicas a healthy run that long
 * happens with probability ((n-1)/n)^1000: 2e-46 at 10 replicas.
 */
export const EXT_PROC_ABSENT_AFTER_CHECKS = 1000;
/** A run this many times the longest healthy one (ended by an ext_proc request) is flagged, if longer than the threshold. */
const HEALTHY_RUN_MARGIN = 4;

export class ExtProcCoverage {
  /** Allowed Checks since the server's last ext_proc request; absent once ext_proc was seen. */
  private readonly checksWithout = new Map<string, number>();
  /** The longest run of Checks an ext_proc request ended without the server being flagged: the load's burst size. */
  private readonly longestHealthyRun = new Map<string, number>();
  private readonly flagged = new Set<string>();
  private readonly gauge: Gauge<'server'>;

  constructor(
    registry: Registry,
    private readonly logger: Logger,
    private readonly threshold = EXT_PROC_ABSENT_AFTER_CHECKS,
  ) {
    this.gauge = new Gauge({
      name: 'mcpgw_ext_proc_absent',
      help: `1 while a server's requests reach ext_authz but not ext_proc (${threshold} allowed Checks in a row without an ext_proc request for it): Envoy's ext_proc filter is not wired for it.`,
      labelNames: ['server'],
      registers: [registry],
    });
  }

  /** ext_authz allowed a request for `server`. */
  checked(server: string): void {
    const count = (this.checksWithout.get(server) ?? 0) + 1;
    this.checksWithout.set(server, count);
    if (count === 1 && !this.flagged.has(server)) this.gauge.set({ server }, 0);
    if (count < Math.max(this.threshold, HEALTHY_RUN_MARGIN * (this.longestHealthyRun.get(server) ?? 0)) || this.flagged.has(server)) return;
    this.flagged.add(server);
    this.gauge.set({ server }, 1);
    this.logger.warn(
      { server, checks: count },
      'ext_authz Checks arrive for this server but no ext_proc streams: the ext_proc filter is not wired for its route (an EnvoyFilter that matches no listener?); sessions are not pinned and lists not filtered',
    );
  }

  /** ext_proc saw a request for `server`. */
  processed(server: string): void {
    const run = this.checksWithout.get(server) ?? 0;
    if (!this.flagged.has(server) && run > (this.longestHealthyRun.get(server) ?? 0)) this.longestHealthyRun.set(server, run);
    this.checksWithout.set(server, 0);
    if (!this.flagged.delete(server)) return;
    this.gauge.set({ server }, 0);
    this.logger.info({ server }, 'ext_proc streams arrive for this server again');
  }
}
