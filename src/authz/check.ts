// ext_authz adapter: CheckRequest → core decision → CheckResponse (reference/envoy.md §2).
import * as grpc from '@grpc/grpc-js';
import { requestView, type Decision, type Gateway, type HookCapabilities, type HttpRequestView, type Principal } from '../core/index.js';
import { deniedResponse, extAuthzMetadata, okResponse, type CheckRequest, type CheckResponse } from '../envoy/index.js';
import type { DecisionObserver, GatewayMetrics, Logger } from '../telemetry/index.js';

/**
 * The body is visible only when Envoy sent it whole: `x-envoy-auth-partial-body: false` marks a body
 * sent under `with_request_body`; without that header (no body settings) or with `true` (truncated)
 * the decision is made from headers alone and ext_proc sees the body later (with `extProc: false` the
 * core refuses it instead).
 */
export function checkRequestView(req: CheckRequest): HttpRequestView {
  const http = req.attributes?.request?.http ?? {};
  // mcpgw's decoder gives a lookup that decodes values on first read; a plain message has the record.
  const view = requestView(http.header ?? http.headers ?? {}, undefined);
  const partial = view.header('x-envoy-auth-partial-body');
  if (partial === 'false') {
    const bytes = http.raw_body && http.raw_body.length ? http.raw_body : http.body ?? '';
    view.body = bytes.length ? bytes : null;
  }
  if (partial === 'true') view.bodyPartial = true;
  const spiffeId = req.attributes?.source?.principal;
  if (spiffeId) view.envoy = { spiffeId };
  if (http.method) view.method = http.method;
  if (http.path) view.path = http.path;
  if (http.host && !view.authority) view.authority = http.host;
  return view;
}

/**
 * ext_authz sees one message per request: the body only when Envoy is configured to send it (the view
 * says so per request), never the response.
 */
export const CHECK_HOOK: HookCapabilities = { seesBody: false, seesResponse: false };

/**
 * The verified caller as JSON, written once per principal: a cached token yields the same frozen
 * principal on every hit, so its metadata text is reused instead of stringified per Check.
 */
const principalJson = new WeakMap<Principal, string>();

function principalText(p: Principal): string {
  let json = principalJson.get(p);
  if (json === undefined) principalJson.set(p, (json = JSON.stringify(p)));
  return json;
}

export function decisionToCheckResponse(decision: Decision): CheckResponse {
  const s = decision.summary;
  const principal = decision.kind === 'allow' && decision.principal ? principalText(decision.principal) : undefined;
  const metadata = s.server ? extAuthzMetadata({ server: s.server, method: s.method, name: s.name }, principal) : undefined;
  // A local answer (denial or metadata document) goes out as Envoy's denied response with its status.
  return decision.kind === 'allow' ? okResponse(decision, metadata, decision.limits?.responseHeaders) : deniedResponse(decision, metadata);
}

export interface AuthorizationDeps {
  gateway: Gateway;
  metrics: GatewayMetrics;
  logger: Logger;
  observer: DecisionObserver;
}

export function authorizationService(deps: AuthorizationDeps): grpc.UntypedServiceImplementation {
  return {
    Check(call: grpc.ServerUnaryCall<CheckRequest, CheckResponse>, callback: grpc.sendUnaryData<CheckResponse>) {
      answerCheck(deps, call.request).then(
        (response) => callback(null, response),
        // A throw anywhere is a bug, not a decision: Envoy applies its failure mode (status_on_error / failure_mode_allow).
        (err: unknown) => {
          deps.logger.error({ hook: 'ext_authz', err: err instanceof Error ? err.message : String(err) }, 'decision failed');
          callback({ code: grpc.status.INTERNAL, details: 'mcpgw could not decide' });
        },
      );
    },
  };
}

async function answerCheck(deps: AuthorizationDeps, request: CheckRequest): Promise<CheckResponse> {
  const started = process.hrtime.bigint();
  const view = checkRequestView(request);
  const decision = await deps.gateway.decide(view, CHECK_HOOK);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const id = decision.subject?.id;
  const { traceHeaders } = deps.observer.decided(
    { hook: 'ext_authz', header: view.header, authority: view.authority, final: true, seconds, ...(decision.subject?.params ? { params: decision.subject.params } : {}), ...(id !== undefined && id !== null ? { jsonRpcId: id } : {}) },
    decision,
  );
  if (decision.kind === 'allow' && traceHeaders.length) decision.setHeaders.push(...traceHeaders);
  return decisionToCheckResponse(decision);
}
