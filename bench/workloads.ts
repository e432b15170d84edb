// What one "request" is for each gRPC row. The same workload (same messages) runs against mcpgw and
// against the bare baseline.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { CheckRequest, CheckResponse, ProcessingRequest } from '../src/envoy/index.js';
import { INITIALIZE_BODY, checkHeadersRequest, checkRequest, processingSequence } from './messages.js';
import type { EnvoyClients } from './proc/client.js';

export type WorkloadName = 'check' | 'check-token' | 'extproc-call' | 'extproc-stateless' | 'extproc-initialize' | 'check-headers' | 'check-headers-token' | 'shipped-call';

export interface WorkloadOptions {
  /** check-token: a file of bearer tokens, one per line (bench/identity.ts), used in turn. */
  tokensFile?: string;
}

export interface Workload {
  /** Runs once before warm-up (e.g. opens the MCP session the requests belong to). */
  prepare(c: EnvoyClients): Promise<void>;
  op(c: EnvoyClients): Promise<unknown>;
}

/** Mcp-Session-Id of the bench session: a UUID, as SDK servers mint them. */
const SESSION_ID = '3f2b8c1e-9d4a-4f6b-8a7e-5c1d2e3f4a5b';

function initializeSequence(sessionId: string) {
  return processingSequence({ body: INITIALIZE_BODY, responseHeaders: { 'mcp-session-id': sessionId, 'content-type': 'application/json' } });
}

/**
 * Token pools by file, with where the next request starts: kept for the life of the load generator, so
 * consecutive jobs do not present the same tokens again (a pool of one is the cached-token case).
 */
const pools = new Map<string, { requests: CheckRequest[]; next: number }>();

function tokenPool(file: string, headersOnly = false) {
  const id = `${headersOnly ? 'headers:' : ''}${file}`;
  let pool = pools.get(id);
  if (!pool) {
    const tokens = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    const extra = (t: string) => ({ 'mcp-session-id': SESSION_ID, authorization: `Bearer ${t}` });
    pool = { requests: tokens.map((t) => (headersOnly ? checkHeadersRequest(extra(t)) : checkRequest(undefined, extra(t)))), next: 0 };
    pools.set(id, pool);
  }
  return pool;
}

/**
 * One request through the shipped wiring (issue 15): the headers-only Check, then the ext_proc stream
 * (headers, BUFFERED body, response headers) with the Check's dynamic metadata forwarded to the first
 * message, as Envoy's `forwarding_namespaces` does.
 */
async function shippedCall(c: EnvoyClients, check: CheckRequest, seq: readonly ProcessingRequest[]): Promise<unknown> {
  const r = allowed(await c.check(check));
  const [first, ...rest] = seq;
  const forwarded = r.dynamic_metadata ? { ...first, metadata_context: { filter_metadata: { 'envoy.filters.http.ext_authz': r.dynamic_metadata } } } : first!;
  return c.process([forwarded, ...rest]);
}

/** A denial is a successful gRPC call: count it as an error, or a refused token would look fast. */
function allowed(r: CheckResponse): CheckResponse {
  if (r.status?.code) throw new Error(`Check denied: code ${r.status.code} ${r.denied_response?.status?.code ?? ''}`);
  return r;
}

export function workload(name: WorkloadName, o: WorkloadOptions = {}): Workload {
  switch (name) {
    case 'check': {
      const req = checkRequest(undefined, { 'mcp-session-id': SESSION_ID });
      return { prepare: async () => undefined, op: (c) => c.check(req).then(allowed) };
    }
    case 'check-token': {
      // The same Check with `authorization: Bearer <token>`, the token taken in turn from the pool.
      if (!o.tokensFile) throw new Error('check-token needs a tokensFile');
      const pool = tokenPool(o.tokensFile);
      return { prepare: async () => undefined, op: (c) => c.check(pool.requests[pool.next++ % pool.requests.length]!).then(allowed) };
    }
    case 'extproc-call': {
      // A tools/call in an open session: mcpgw looks the binding up (a memory-store hit) and writes
      // the affinity header; the session is opened through ext_proc exactly as Envoy would.
      const seq = processingSequence({ extraHeaders: { 'mcp-session-id': SESSION_ID } });
      return { prepare: async (c) => void (await c.process(initializeSequence(SESSION_ID))), op: (c) => c.process(seq) };
    }
    case 'extproc-stateless': {
      // The same tools/call without a session (nothing to look up): for replicas that share no state.
      const seq = processingSequence();
      return { prepare: async () => undefined, op: (c) => c.process(seq) };
    }
    case 'extproc-initialize':
      // A new session per request: mcpgw chooses the pod (fewest live sessions), writes its key and
      // records the binding on the response headers.
      return { prepare: async () => undefined, op: (c) => c.process(initializeSequence(randomUUID())) };
    case 'check-headers': {
      // The shipped wiring's Check: no body (ext_proc reads it).
      const req = checkHeadersRequest({ 'mcp-session-id': SESSION_ID });
      return { prepare: async () => undefined, op: (c) => c.check(req).then(allowed) };
    }
    case 'check-headers-token': {
      if (!o.tokensFile) throw new Error('check-headers-token needs a tokensFile');
      const pool = tokenPool(o.tokensFile, true);
      return { prepare: async () => undefined, op: (c) => c.check(pool.requests[pool.next++ % pool.requests.length]!).then(allowed) };
    }
    case 'shipped-call': {
      // A tools/call in an open session through both hooks of the shipped wiring.
      const check = checkHeadersRequest({ 'mcp-session-id': SESSION_ID });
      const seq = processingSequence({ extraHeaders: { 'mcp-session-id': SESSION_ID } });
      return { prepare: async (c) => void (await c.process(initializeSequence(SESSION_ID))), op: (c) => shippedCall(c, check, seq) };
    }
  }
}
