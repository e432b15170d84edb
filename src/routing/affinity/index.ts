// Choosing the affinity header value that makes Envoy's LB land on a given pod.
export { AffinityKeyTable, EndpointSet, newAffinityKey, addressHeaderValue, type AffinityLbConfig, type KeyTableBuild } from './keyTable.js';
