// Shared state behind one small interface.
export { MemoryStore, type Store } from './store.js';
import type { GatewayConfig } from '../config/index.js';
import { MemoryStore, type Store } from './store.js';

export function createStore(config: GatewayConfig['store']): Store {
  switch (config.kind) {
    case 'memory':
      return new MemoryStore();
  }
}
