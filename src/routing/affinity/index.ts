// Choosing the affinity header value that makes Envoy's LB land on a given pod.
export { AffinityKeyTable, newAffinityKey, addressHeaderValue, type AffinityLbConfig } from './keyTable.js';
