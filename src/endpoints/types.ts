// What every endpoint source hands to routing: the pods of one MCP server as Envoy's load balancer sees them.

export interface Endpoint {
  /** Envoy's host key (reference/envoy.md §4.2): "10.1.2.3:8080", IPv6 "[2001:db8::1]:8080". */
  hostKey: string;
  /** From the EndpointSlice targetRef when it is a Pod. */
  podName?: string;
  /** EndpointSlice conditions with the API's defaults: ready unset = true, serving unset = ready, terminating unset = false. */
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  /** The pod carries the annotation `mcpgw.io/drain: "true"`: no new sessions for it. */
  drainRequested: boolean;
}

export interface EndpointSnapshot {
  /** False until the first list completed. */
  synced: boolean;
  /** All known endpoints of the service, deduplicated by hostKey, sorted by hostKey. */
  endpoints: readonly Endpoint[];
  /**
   * What Envoy's LB holds: ready endpoints; plus terminating-but-serving ones when the service has
   * Istio's persistent-session label (they are then DRAINING, reachable only by host override).
   * Sorted by host key.
   */
  envoyHosts: readonly string[];
  /** The Service is labelled istio.io/persistent-session or istio.io/persistent-session-header. */
  persistentSession: boolean;
}

export interface EndpointSource {
  /** Resolves after the first successful list; rejects on a fatal configuration error. */
  start(): Promise<void>;
  stop(): Promise<void>;
  snapshot(): EndpointSnapshot;
  /** Called after each effective change, never for a resync that changed nothing. Returns an unsubscribe. */
  onChange(listener: (s: EndpointSnapshot) => void): () => void;
}
