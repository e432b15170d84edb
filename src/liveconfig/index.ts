// Public face of live configuration.
export { ConfigRejected, type ConfigCatalog, type ConfigOrigin, type ConfigProblem, type ConfigSourceKind, type ServerEntry } from './catalog.js';
