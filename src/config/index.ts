// Public face of the config module: parse and validate gateway.yaml, export its JSON Schema.
export { gatewayConfigSchema, serverFieldsSchema, LOG_LEVELS } from './schema.js';
export { limitSchema } from './limits.js';
export { problemLine, formatPath, type PathProblem } from './problems.js';
export type { GatewayConfig, ServerConfig, ConfigResult } from './types.js';
export { parseConfig, validateConfig, validatePart } from './parse.js';
export { loadConfigFile } from './load.js';
export { configJsonSchema } from './json-schema.js';
export { parseListenAddress } from './listen.js';
export { checkedAgainst } from './environment.js';
