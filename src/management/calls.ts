// One management call, run and recorded: every tool call and resource read is audited like a
// data-plane tool call (the audit log's decision line, with the caller and the reason), and logged
// without its arguments, which may hold literal environment values. A control refusal becomes a failed
// outcome with its reason; anything else is logged as a bug and answered without internals.
import { controlErrorOf } from '../control/index.js';
import type { AuditLog, Logger } from '../telemetry/index.js';

export type Outcome<T> = { ok: true; value: T } | { ok: false; code: string; message: string };

/** The audit line's `server` for management calls: not an upstream, mcpgw itself. */
export const MANAGEMENT_SERVER = 'mcpgw-management';

export interface Calls {
  run<T>(method: 'tools/call' | 'resources/read', name: string, args: unknown, fn: () => Promise<T>): Promise<Outcome<T>>;
}

export function managementCalls(deps: { audit?: AuditLog; logger: Logger; principal: string; tenant?: string }): Calls {
  return {
    async run(method, name, args, fn) {
      let outcome: Outcome<Awaited<ReturnType<typeof fn>>>;
      try {
        outcome = { ok: true, value: await fn() };
      } catch (err) {
        const refusal = controlErrorOf(err);
        if (refusal) outcome = { ok: false, code: refusal.code, message: `${refusal.code}: ${refusal.message}` };
        else {
          deps.logger.error({ err: (err as Error).message, management: method, name }, 'management call failed');
          outcome = { ok: false, code: 'INTERNAL', message: 'INTERNAL: the call failed; see the mcpgw log' };
        }
      }
      deps.audit?.record({
        server: MANAGEMENT_SERVER,
        method,
        name,
        principal: deps.principal,
        ...(deps.tenant !== undefined ? { tenant: deps.tenant } : {}),
        decision: outcome.ok ? 'allow' : 'deny',
        reason: outcome.ok ? 'allowed' : outcome.code.toLowerCase(),
        ...(args !== undefined ? { arguments: args } : {}),
      });
      deps.logger.info({ management: method, name, principal: deps.principal, ok: outcome.ok, ...(outcome.ok ? {} : { reason: outcome.code }) }, 'management call');
      return outcome;
    },
  };
}
