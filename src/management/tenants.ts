// Which tenants exist, for the refusal "quota for an unknown tenant": mcpgw has no tenant registry, so a
// tenant is known when the configuration names it (an API key's tenant, an exact tenant in a limit's or
// a policy rule's match) or when the limiter has seen it (usage counted, or an override already set).
import type { GatewayConfig } from '../config/index.js';
import { ControlError, type ControlService } from '../control/index.js';

export interface TenantDirectory {
  /** Throws NOT_FOUND for a tenant mcpgw does not know. */
  assertKnown(tenant: string): Promise<void>;
}

const GLOB = /[*?[\]]/;

export function tenantDirectory(config: () => GatewayConfig, control: ControlService): TenantDirectory {
  const named = (): Set<string> => {
    const c = config();
    const exact = (globs: readonly string[] | undefined) => (globs ?? []).filter((g) => !GLOB.test(g));
    return new Set([
      ...c.identity.apiKeys.flatMap((k) => (k.tenant ? [k.tenant] : [])),
      ...c.limits.flatMap((l) => exact(l.match?.tenants)),
      ...c.servers.flatMap((s) => (s.policy?.rules ?? []).flatMap((r) => exact(r.tenants))),
    ]);
  };
  return {
    async assertKnown(tenant) {
      if (named().has(tenant)) return;
      const usage = await control.quota(tenant);
      if (usage.limits.some((l) => (l.used ?? 0) > 0 || l.override !== undefined)) return;
      throw new ControlError('NOT_FOUND', `unknown tenant "${tenant}": no API key, limit or policy names it and it has made no counted requests`, [{ field: 'tenant', description: 'unknown tenant' }]);
    },
  };
}
