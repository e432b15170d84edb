// Public face of the fake Kubernetes API server used by tests (EndpointSlices, Pods, Services, MCPServers).
export { startFakeKube, type FakeKube, type FakeKubeOptions, type RecordedRequest } from './server.js';
export { endpointSlice, pod, service, type EndpointState, type SliceEndpointSpec, type SliceSpec } from './builders.js';
export type { KubeObject, Resource } from './store.js';
export type { FakeWrites, WrittenObject } from './writes.js';
