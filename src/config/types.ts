// Types other modules code against; derived from the schema so they never drift from it.
import type { z } from 'zod';
import type { gatewayConfigSchema } from './schema.js';

/** Fully defaulted, deeply readonly (and frozen at runtime) gateway config. */
export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
export type ServerConfig = GatewayConfig['servers'][number];
export type ConfigResult = { ok: true; config: GatewayConfig } | { ok: false; problems: string[] };
