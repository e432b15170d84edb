// Public face of the routing module: other modules import only from here.
export * from './hash/index.js';
export * from './affinity/index.js';
export * from './pods/index.js';
