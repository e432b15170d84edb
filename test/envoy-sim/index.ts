/**
 * envoy-sim: an Envoy-faithful HTTP/1.1 proxy for tests of mcpgw (never shipped). It behaves like
 * Envoy where mcpgw can observe it: the ext_authz Check, the ext_proc message sequence per processing
 * mode, raw_value vs value, mutation rules, immediate responses, timeouts and failure modes, local
 * replies running through ext_proc's response phase, hash_policy + ring hash / Maglev with XXH64
 * (the production mirror in src/routing), the stateful_session header filter with DRAINING hosts
 * (`statefulSession`, `drainingEndpoints`, `overrideHostStatus`), and streaming without buffering. Differences: docs/testing.md.
 *
 * ```ts
 * const sim = new EnvoySim({
 *   routes: [{ authority: '*', pathPrefix: '/mcp', cluster: 'mcp' }],
 *   clusters: [{ name: 'mcp', lb: 'maglev', hashHeader: 'x-mcp-affinity', endpoints: ['127.0.0.1:4001'] }],
 *   extAuthz: { target: '127.0.0.1:9001' },
 *   extProc: { target: '127.0.0.1:9002', processingMode: { request_body_mode: 'BUFFERED' } },
 * });
 * await sim.start();            // listens on 127.0.0.1:<random>
 * await fetch(`${sim.url}/mcp`, { method: 'POST', body });
 * sim.log.at(-1)                // SimLogEntry: status, upstream host key, upstream headers, local reply, metadata
 * sim.setEndpoints('mcp', [...], { draining: [...] }) // EDS update: rebuilds ring / table; DRAINING hosts only for host override
 * await sim.close();
 * ```
 *
 * Sim-only aids (not Envoy):
 * - request header `x-sim-peer-principal: spiffe://...` stands in for the caller's mTLS identity
 *   (ext_authz source.principal, ext_proc `connection.uri_san_peer_certificate`); it is stripped first.
 * - response header `x-sim-upstream: <host key>` names the endpoint that served the request (added
 *   after ext_proc, so mcpgw never sees it).
 */
export { EnvoySim } from './sim.js';
export { PEER_PRINCIPAL_HEADER, UPSTREAM_HEADER } from './exchange.js';
export { EXT_AUTHZ_NAMESPACE } from './extAuthz.js';
export { EXT_PROC_NAMESPACE } from './extProcSession.js';
export type { EnvoySimOptions, ExtAuthzOptions, ExtProcOptions, OverrideHostStatus, SimCluster, SimLocalReply, SimLogEntry, SimRoute, StatefulSessionOptions } from './options.js';
