// ext_authz adapter: CheckRequest → core decision → CheckResponse (reference/envoy.md §2).
import * as grpc from '@grpc/grpc-js';
import { requestView, type Decision, type Gateway, type HttpRequestView } from '../core/index.js';
import { deniedResponse, okResponse, stringStruct, type CheckRequest, type CheckResponse } from '../envoy/index.js';
import type { GatewayMetrics, Logger } from '../telemetry/index.js';

/**
 * The body is visible only when Envoy sent it whole: `x-envoy-auth-partial-body: false` marks a body
 * sent under `with_request_body`; without that header (no body settings) or with `true` (truncated)
 * the decision is made from headers alone and ext_proc sees the body later.
 */
export function checkRequestView(req: CheckRequest): HttpRequestView {
  const http = req.attributes?.request?.http ?? {};
  const headers = http.headers ?? {};
  let body: HttpRequestView['body'];
  if (headers['x-envoy-auth-partial-body'] === 'false') {
    const bytes = http.raw_body && http.raw_body.length ? http.raw_body : http.body ?? '';
    body = bytes.length ? bytes : null;
  }
  const view = requestView(headers, body);
  if (http.method) view.method = http.method;
  if (http.path) view.path = http.path;
  if (http.host && !view.authority) view.authority = http.host;
  return view;
}

export function decisionToCheckResponse(decision: Decision): CheckResponse {
  const s = decision.summary;
  const metadata = s.server ? stringStruct({ server: s.server, method: s.method, name: s.name }) : undefined;
  return decision.kind === 'allow' ? okResponse(decision, metadata) : deniedResponse(decision, metadata);
}

export interface AuthorizationDeps {
  gateway: Gateway;
  metrics: GatewayMetrics;
  logger: Logger;
}

export function authorizationService(deps: AuthorizationDeps): grpc.UntypedServiceImplementation {
  return {
    Check(call: grpc.ServerUnaryCall<CheckRequest, CheckResponse>, callback: grpc.sendUnaryData<CheckResponse>) {
      const started = process.hrtime.bigint();
      deps.gateway.decide(checkRequestView(call.request), 'ext_authz').then(
        (decision) => {
          deps.metrics.observeDecision('ext_authz', decision, Number(process.hrtime.bigint() - started) / 1e9);
          if (decision.kind === 'deny') deps.logger.info({ hook: 'ext_authz', reason: decision.reason, status: decision.status, ...decision.summary }, 'request denied');
          callback(null, decisionToCheckResponse(decision));
        },
        // A bug, not a decision: Envoy applies its failure mode (status_on_error / failure_mode_allow).
        (err: Error) => {
          deps.logger.error({ hook: 'ext_authz', err: err.message }, 'decision failed');
          callback({ code: grpc.status.INTERNAL, details: 'mcpgw could not decide' });
        },
      );
    },
  };
}
