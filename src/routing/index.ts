// Public face of the routing module: other modules import only from here.
export * from './hash/index.js';
