// Public face of live configuration: the running configuration from the file, MCPServer resources and
// the API (docs/control-plane.md), and the catalog the control API reads and changes it through.
export { ConfigRejected, type ConfigCatalog, type ConfigOrigin, type ConfigProblem, type ConfigSourceKind, type ServerEntry } from './catalog.js';
export { LiveConfig, type LiveConfigDeps } from './liveConfig.js';
export { ConfigMetrics } from './metrics.js';
export { RESTART_ONLY, compose, versionOf, type DeclaredServer, type Sources } from './compose.js';
export { apiServerStore, type ApiServerStore } from './apiStore.js';
export { watchFile, type FileWatch } from './fileWatch.js';
export { McpServerWatch, type McpServerWatchOptions } from './kubeSource.js';
export { MCPSERVER, declaredServer, mcpServerSpecSchema, type McpServerObject } from './mcpServer.js';
export { mcpServerCrd, mcpServerCrdYaml } from './crd.js';
