// Public face of live configuration: the running configuration from the file, MCPServer resources and
// the API (docs/control-plane.md), and the catalog the control API reads and changes it through.
export { ConfigRejected, type ConfigCatalog, type ConfigOrigin, type ConfigProblem, type ConfigSourceKind, type ServerEntry } from './catalog.js';
export { LiveConfig, type LiveConfigDeps } from './liveConfig.js';
export { ConfigMetrics } from './metrics.js';
export { RESTART_ONLY, compose, versionOf, type DeclaredServer, type Sources } from './compose.js';
export { apiServerStore, type ApiServerStore } from './apiStore.js';
export { watchFile, type FileWatch } from './fileWatch.js';
export type { McpServerWatch, McpServerWatchOptions } from './kubeSource.js';

/** The MCPServer watch; the Kubernetes client is loaded only when the source is enabled. */
export async function createMcpServerWatch(options: import('./kubeSource.js').McpServerWatchOptions): Promise<import('./kubeSource.js').McpServerWatch> {
  const { McpServerWatch } = await import('./kubeSource.js');
  return new McpServerWatch(options);
}
export { MCPSERVER, declaredServer, mcpServerSpecSchema, type McpServerObject } from './mcpServer.js';
export { mcpServerCrd, mcpServerCrdYaml } from './crd.js';
