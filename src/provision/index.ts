// Public face of provisioning: deploying registered MCP servers onto Kubernetes (workload, Service,
// DestinationRule), their health, and the registrar the management tools and the control API use.
export { deploySchema, isPinned, type DeploySpec } from './deploySpec.js';
export { serverHealth, type HealthState, type ServerHealth } from './health.js';
export { PROVISIONING_RULES, ProvisionError } from './contract.js';
export type { ProvisionApi } from './kube.js';
export { MANAGED_BY, MANAGED_BY_LABEL, OWNER_LABEL, destinationRule, manifests, mcpServer, ownerLabels, service, workload, type KubeManifest, type ObjectRef, type WorkloadKind } from './objects.js';
export { Provisioner } from './provisioner.js';
export { ServerRegistrar, provisionApi, registrarFor, withDeploy, type ProvisioningConfig, type Registration, type Removal, type ServerStatus } from './registrar.js';
