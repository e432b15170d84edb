// Public face of the config module: parse and validate gateway.yaml, export its JSON Schema.
export { gatewayConfigSchema, LOG_LEVELS } from './schema.js';
export type { GatewayConfig, ServerConfig, ConfigResult } from './types.js';
export { parseConfig } from './parse.js';
export { loadConfigFile } from './load.js';
export { configJsonSchema } from './json-schema.js';
export { parseListenAddress } from './listen.js';
export { checkedAgainst } from './environment.js';
