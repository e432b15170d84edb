// The ext_authz HTTP filter (gRPC client side), reference/envoy.md §2.
import * as grpc from '@grpc/grpc-js';
import type { CheckRequest, CheckResponse, HeaderValueOption, ProtoStruct } from '../../src/envoy/messages.js';
import { HeaderList } from './headerList.js';
import { localReply, type LocalReply } from './localReply.js';
import type { ExtAuthzOptions } from './options.js';
import { httpStatusCode } from './protoEnums.js';
import type { RequestBody } from './requestBody.js';

export const EXT_AUTHZ_NAMESPACE = 'envoy.filters.http.ext_authz';
const PARTIAL_BODY_HEADER = 'x-envoy-auth-partial-body';

export interface Peer {
  address: string;
  port: number;
  principal?: string;
}

export interface AuthzRequest {
  id: string;
  headers: HeaderList;
  body: RequestBody;
  source: Peer;
  destination: Peer;
}

export type AuthzOutcome =
  | { kind: 'allow'; responseHeadersToAdd: HeaderValueOption[]; dynamicMetadata?: ProtoStruct }
  | { kind: 'deny'; reply: LocalReply; dynamicMetadata?: ProtoStruct };

type CheckFn = (req: CheckRequest, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: CheckResponse) => void) => void;

export class ExtAuthzFilter {
  constructor(
    private readonly opts: ExtAuthzOptions,
    /** The replica to call for this request. */
    private readonly client: () => grpc.Client,
  ) {}

  async check(r: AuthzRequest): Promise<AuthzOutcome> {
    const wb = this.opts.withRequestBody;
    if (wb) r.headers.remove(PARTIAL_BODY_HEADER); // a client copy never reaches anyone
    let body: Buffer | undefined;
    let partial = false;
    if (wb && r.body.present) {
      const complete = await r.body.fillBeyond(wb.maxRequestBytes);
      if (!complete && !r.body.aborted) {
        // allow_partial_message false → 413 without a Check; this wins over failure_mode_allow.
        if (!wb.allowPartialMessage) return { kind: 'deny', reply: localReply(413, 'request_payload_too_large', 'Payload Too Large') };
        partial = true;
      }
      body = r.body.peek().subarray(0, wb.maxRequestBytes);
    }
    const headers = r.headers.toMergedMap();
    if (body !== undefined) headers[PARTIAL_BODY_HEADER] = String(partial);
    const http: NonNullable<NonNullable<NonNullable<CheckRequest['attributes']>['request']>['http']> = {
      id: r.id,
      method: r.headers.first(':method') ?? '',
      headers,
      path: r.headers.first(':path') ?? '',
      host: r.headers.first(':authority') ?? '',
      scheme: r.headers.first(':scheme') ?? 'http',
      size: String(r.body.received),
      protocol: 'HTTP/1.1',
    };
    if (body !== undefined) {
      if (wb?.packAsBytes) http.raw_body = body;
      else http.body = body.toString('utf8');
    }
    const now = Date.now();
    const req: CheckRequest & { attributes: { request: { time?: unknown } } } = {
      attributes: {
        source: { address: { socket_address: { address: r.source.address, port_value: r.source.port } }, principal: r.source.principal ?? '' },
        destination: { address: { socket_address: { address: r.destination.address, port_value: r.destination.port } } },
        request: { time: { seconds: String(Math.floor(now / 1000)), nanos: (now % 1000) * 1e6 }, http },
      },
    };
    let res: CheckResponse;
    try {
      res = await this.call(req);
    } catch {
      return this.onError('ext_authz_error');
    }
    return this.interpret(res, r.headers);
  }

  private call(req: CheckRequest): Promise<CheckResponse> {
    const client = this.client();
    const check = (client as unknown as { Check: CheckFn }).Check.bind(client);
    return new Promise((resolve, reject) => {
      check(req, { deadline: Date.now() + (this.opts.timeoutMs ?? 200) }, (err, res) => (err || !res ? reject(err ?? new Error('empty')) : resolve(res)));
    });
  }

  private onError(details: string): AuthzOutcome {
    if (this.opts.failureModeAllow) return { kind: 'allow', responseHeadersToAdd: [] };
    return { kind: 'deny', reply: localReply(this.opts.statusOnError ?? 403, details) };
  }

  private interpret(res: CheckResponse, requestHeaders: HeaderList): AuthzOutcome {
    const dynamicMetadata = res.dynamic_metadata;
    const code = Number(res.status?.code ?? 0);
    const raw = res as CheckResponse & { error_response?: { status?: { code: number | string }; headers?: HeaderValueOption[]; body?: string } };
    if (code === 0 && res.http_response !== 'denied_response' && res.http_response !== 'error_response') {
      applyAuthzHeaders(requestHeaders, res.ok_response?.headers);
      removeAuthzHeaders(requestHeaders, res.ok_response?.headers_to_remove);
      return { kind: 'allow', responseHeadersToAdd: res.ok_response?.response_headers_to_add ?? [], dynamicMetadata };
    }
    if (res.http_response === 'error_response' && raw.error_response) {
      if (this.opts.failureModeAllow) return { kind: 'allow', responseHeadersToAdd: [] };
      const e = raw.error_response;
      const headers = new HeaderList();
      applyAuthzHeaders(headers, e.headers);
      return { kind: 'deny', reply: localReply(httpStatusCode(e.status?.code) || (this.opts.statusOnError ?? 403), 'ext_authz_error', e.body ?? '', headers), dynamicMetadata };
    }
    const d = res.denied_response;
    const headers = new HeaderList();
    applyAuthzHeaders(headers, d?.headers);
    return { kind: 'deny', reply: localReply(httpStatusCode(d?.status?.code) || 403, 'ext_authz_denied', d?.body ?? '', headers), dynamicMetadata };
  }
}

/** Applies OkHttpResponse.headers etc.: reads `value` only (never raw_value), reference/envoy.md §2.4. */
export function applyAuthzHeaders(target: HeaderList, options: readonly HeaderValueOption[] | undefined): void {
  for (const o of options ?? []) {
    const key = o.header?.key;
    if (!key) continue;
    const value = o.header.value ?? '';
    if (o.append !== undefined && o.append !== null) {
      // The deprecated BoolValue wins when present.
      if (o.append.value) target.appendJoined(key, value);
      else target.set(key, value);
      continue;
    }
    // Newest Envoy (#42878): absent append → append_action, whose default is APPEND_IF_EXISTS_OR_ADD.
    switch (o.append_action ?? 'APPEND_IF_EXISTS_OR_ADD') {
      case 'ADD_IF_ABSENT':
        if (!target.has(key)) target.add(key, value);
        break;
      case 'OVERWRITE_IF_EXISTS_OR_ADD':
        target.set(key, value);
        break;
      case 'OVERWRITE_IF_EXISTS':
        if (target.has(key)) target.set(key, value);
        break;
      default:
        target.add(key, value);
    }
  }
}

/** OkHttpResponse.headers_to_remove: `:`-headers and host are ignored. */
export function removeAuthzHeaders(target: HeaderList, names: readonly string[] | undefined): void {
  for (const n of names ?? []) {
    const k = n.toLowerCase();
    if (k.startsWith(':') || k === 'host') continue;
    target.remove(k);
  }
}
