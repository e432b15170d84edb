// A fixed endpoint list from configuration ("ip:port"): every endpoint ready, nothing to watch.
import { parseHostKey } from './hostKey.js';
import { byCodeUnits } from './snapshot.js';
import type { Endpoint, EndpointSnapshot, EndpointSource } from './types.js';

export class StaticEndpoints implements EndpointSource {
  readonly #snapshot: EndpointSnapshot;

  /** Throws on an entry that is not "ip:port" / "[ipv6]:port", so configuration errors surface at load. */
  constructor(addresses: readonly string[]) {
    const keys = [...new Set(addresses.map(parseHostKey))].sort(byCodeUnits);
    const endpoints = keys.map(
      (hostKey): Endpoint => Object.freeze({ hostKey, ready: true, serving: true, terminating: false, drainRequested: false }),
    );
    this.#snapshot = Object.freeze({
      synced: true,
      endpoints: Object.freeze(endpoints),
      envoyHosts: Object.freeze(keys),
      persistentSession: false,
    });
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  snapshot(): EndpointSnapshot {
    return this.#snapshot;
  }

  /** The list never changes, so listeners are never called. */
  onChange(): () => void {
    return () => {};
  }
}
