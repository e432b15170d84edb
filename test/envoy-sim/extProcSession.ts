// The ext_proc HTTP filter for one HTTP request: which message each phase sends, how replies are
// applied, and the failure table of reference/envoy.md §1.11. Envoy's processor_state, simplified.
import type * as grpc from '@grpc/grpc-js';
import type { CommonResponse, ProcessingRequest, ProcessingResponse, ProtoStruct } from '../../src/envoy/messages.js';
import type { Peer } from './extAuthz.js';
import { applyMutation } from './extProcMutations.js';
import { ExtProcStream } from './extProcStream.js';
import { HeaderList } from './headerList.js';
import { localReply, type LocalReply } from './localReply.js';
import { configMode, overrideMode, type ExtProcOptions, type FullMode, type SimLogEntry } from './options.js';
import { httpStatusCode } from './protoEnums.js';
import { structOf } from './structs.js';

export const EXT_PROC_NAMESPACE = 'envoy.filters.http.ext_proc';

/** What a phase tells the exchange: go on (maybe with a new body / route re-match), or reply locally. */
export type Step = { kind: 'continue'; clearRoute?: boolean; body?: Buffer; replaceAndStop?: boolean } | { kind: 'local'; reply: LocalReply };

export interface RequestContext {
  headers: HeaderList;
  source: Peer;
  destination: Peer;
  cluster(): string | undefined;
  dynamicMetadata: Map<string, ProtoStruct>;
  entry: SimLogEntry;
}

type Sent = { kind: 'reply'; common: CommonResponse | undefined } | { kind: 'skip' } | { kind: 'local'; reply: LocalReply };
type Kind = 'request_headers' | 'request_body' | 'response_headers' | 'response_body';

export class ExtProcSession {
  readonly configured: FullMode;
  mode: FullMode;
  /** False once ext_proc is done with this request (error, failure-mode-allow, immediate response, clean close). */
  active = true;
  /** CONTINUE_AND_REPLACE stops further messages in that direction. */
  requestDone = false;
  responseDone = false;
  private readonly stream: ExtProcStream;
  private requestAttrsSent = false;
  private responseAttrsSent = false;

  constructor(
    private readonly cfg: ExtProcOptions,
    client: grpc.Client,
    private readonly ctx: RequestContext,
  ) {
    this.configured = configMode(cfg.processingMode);
    this.mode = this.configured;
    this.stream = new ExtProcStream(client, cfg.messageTimeoutMs ?? 200, cfg.maxMessageTimeoutMs ?? 0, (k) => ctx.entry.extProcMessages.push(k));
  }

  /** Ends the gRPC stream the way Envoy does (half-close, then cancel). */
  finish(): void {
    this.active = false;
    this.stream.finish();
  }

  // ---- request phase -------------------------------------------------------------------------

  async onRequestHeaders(endOfStream: boolean): Promise<Step> {
    if (!this.active || this.mode.request_header_mode !== 'SEND') return { kind: 'continue' };
    const sent = await this.send('request_headers', { headers: this.ctx.headers.toProto(), end_of_stream: endOfStream });
    return this.applyCommon(sent, this.ctx.headers, 'request');
  }

  /** BUFFERED: the whole body once, end_of_stream true; header mutations here still reach the router. */
  async onRequestBody(body: Buffer): Promise<Step> {
    const sent = await this.send('request_body', { body, end_of_stream: true });
    return this.applyCommon(sent, this.ctx.headers, 'request');
  }

  /** STREAMED: one chunk; header mutations in body replies are ignored (headers already went on). */
  async onRequestChunk(chunk: Buffer, endOfStream: boolean): Promise<Step> {
    const sent = await this.send('request_body', { body: chunk, end_of_stream: endOfStream });
    return this.applyCommon(sent, undefined, 'request');
  }

  // ---- response phase ------------------------------------------------------------------------

  wantsResponseHeaders(): boolean {
    return this.active && !this.responseDone && this.mode.response_header_mode === 'SEND';
  }

  responseBodyMode(): string {
    return this.active && !this.responseDone ? this.mode.response_body_mode : 'NONE';
  }

  async onResponseHeaders(headers: HeaderList, endOfStream: boolean, upstream: string | undefined): Promise<Step> {
    const sent = await this.send('response_headers', { headers: headers.toProto(), end_of_stream: endOfStream }, upstream);
    return this.applyCommon(sent, headers, 'response');
  }

  /** BUFFERED response (headers held, so mutations apply) or a STREAMED chunk (headers == undefined). */
  async onResponseBody(chunk: Buffer, endOfStream: boolean, heldHeaders: HeaderList | undefined, upstream: string | undefined): Promise<Step> {
    const sent = await this.send('response_body', { body: chunk, end_of_stream: endOfStream }, upstream);
    return this.applyCommon(sent, heldHeaders, 'response');
  }

  // ---- plumbing ------------------------------------------------------------------------------

  private async send(kind: Kind, payload: object, upstream?: string): Promise<Sent> {
    const responseSide = kind.startsWith('response');
    const msg: ProcessingRequest & { request: Kind } = { request: kind, [kind]: payload };
    const attrs = responseSide ? this.responseAttributes(upstream) : this.requestAttributes();
    if (attrs) msg.attributes = { [EXT_PROC_NAMESPACE]: attrs };
    const forwarded = this.forwardedMetadata();
    if (forwarded) msg.metadata_context = { filter_metadata: forwarded };

    const o = await this.stream.exchange(msg);
    const allow = this.cfg.failureModeAllow === true;
    switch (o.kind) {
      case 'timeout':
        this.finish();
        return allow ? { kind: 'skip' } : { kind: 'local', reply: localReply(504, 'ext_proc_error_per-message_timeout_exceeded') };
      case 'closed-ok':
        // A clean close while Envoy waits: continue without ext_proc.
        this.active = false;
        return { kind: 'skip' };
      case 'grpc-error':
        this.finish();
        return allow ? { kind: 'skip' } : { kind: 'local', reply: localReply(this.cfg.statusOnError ?? 500, `ext_proc_error_gRPC_error_${o.code}{${o.details.replace(/\s/g, '_')}}`) };
      case 'spurious':
        // Newest Envoy (ext_proc_fail_close_spurious_resp) fails the request.
        this.finish();
        return allow ? { kind: 'skip' } : { kind: 'local', reply: localReply(500, 'ext_proc_error_spurious_message') };
      case 'reply':
        return this.onReply(kind, o.reply);
    }
  }

  private onReply(kind: Kind, reply: ProcessingResponse): Sent {
    this.receiveMetadata(reply.dynamic_metadata);
    if (reply.response === 'immediate_response') {
      this.finish();
      return { kind: 'local', reply: this.immediate(reply) };
    }
    const isHeaders = kind === 'request_headers' || kind === 'response_headers';
    const fullDuplex = this.configured.request_body_mode === 'FULL_DUPLEX_STREAMED' || this.configured.response_body_mode === 'FULL_DUPLEX_STREAMED';
    if (reply.mode_override && isHeaders && this.cfg.allowModeOverride && !fullDuplex) {
      this.mode = overrideMode(this.configured, reply.mode_override);
    }
    const body = reply[kind] as { response?: CommonResponse } | undefined;
    return { kind: 'reply', common: body?.response };
  }

  private applyCommon(sent: Sent, headers: HeaderList | undefined, direction: 'request' | 'response'): Step {
    if (sent.kind === 'local') return sent;
    if (sent.kind === 'skip' || !sent.common) return { kind: 'continue' };
    const c = sent.common;
    if (headers && c.header_mutation) {
      const r = applyMutation(headers, c.header_mutation, this.cfg.mutationRules ?? {}, this.ctx.entry.rejectedMutations);
      if (!r.ok) {
        this.finish(); // invalid mutations fail even with failure_mode_allow
        return { kind: 'local', reply: localReply(500, r.details) };
      }
    }
    const step: Step & { kind: 'continue' } = { kind: 'continue' };
    // clear_route_cache counts only with a header_mutation in the same reply, request direction only.
    if (direction === 'request' && c.clear_route_cache && c.header_mutation && headers) step.clearRoute = true;
    const bm = c.body_mutation as ({ mutation?: string; body?: Buffer; clear_body?: boolean } | undefined);
    if (bm) {
      if (bm.mutation === 'clear_body' || bm.clear_body) step.body = Buffer.alloc(0);
      else if (bm.body !== undefined) step.body = Buffer.from(bm.body);
    }
    if (c.status === 'CONTINUE_AND_REPLACE') {
      step.replaceAndStop = true;
      step.body ??= Buffer.alloc(0);
      if (direction === 'request') this.requestDone = true;
      else this.responseDone = true;
    }
    return step;
  }

  private immediate(reply: ProcessingResponse): LocalReply {
    const ir = reply.immediate_response!;
    let status = httpStatusCode(ir.status?.code);
    if (status < 200) status = 200; // absent → 200; values below 200 are replaced by 200
    const headers = new HeaderList();
    const r = applyMutation(headers, ir.headers, this.cfg.mutationRules ?? {}, this.ctx.entry.rejectedMutations);
    if (!r.ok) return localReply(500, r.details);
    const body = ir.body ? Buffer.from(ir.body) : Buffer.alloc(0);
    const details = (ir.details ?? '').replace(/\s/g, '_');
    return { status, details, headers, body };
  }

  private receiveMetadata(s: ProtoStruct | undefined): void {
    const allowed = new Set(this.cfg.receivingNamespaces ?? []);
    for (const [ns, v] of Object.entries(s?.fields ?? {})) {
      if (!allowed.has(ns) || !v.structValue) continue; // anything else is silently dropped
      const prev = this.ctx.dynamicMetadata.get(ns);
      const merged: ProtoStruct = { fields: { ...(prev?.fields ?? {}), ...(v.structValue.fields ?? {}) } };
      this.ctx.dynamicMetadata.set(ns, merged);
      this.ctx.entry.dynamicMetadata[ns] = merged;
    }
  }

  private forwardedMetadata(): Record<string, ProtoStruct> | undefined {
    const out: Record<string, ProtoStruct> = {};
    for (const ns of this.cfg.forwardingNamespaces ?? []) {
      const v = this.ctx.dynamicMetadata.get(ns);
      if (v) out[ns] = v;
    }
    return Object.keys(out).length ? out : undefined;
  }

  /** request_attributes, on the first request-side message only. */
  private requestAttributes(): ProtoStruct | undefined {
    if (this.requestAttrsSent || !this.cfg.requestAttributes?.length) return undefined;
    this.requestAttrsSent = true;
    const h = this.ctx.headers;
    const path = h.first(':path') ?? '';
    const { source: s, destination: d } = this.ctx;
    const known: Record<string, string | number | undefined> = {
      'source.address': `${s.address}:${s.port}`,
      'source.port': s.port,
      'destination.address': `${d.address}:${d.port}`,
      'destination.port': d.port,
      'request.id': h.first('x-request-id'),
      'request.path': path,
      'request.url_path': path.split('?')[0],
      'request.host': h.first(':authority'),
      'request.method': h.first(':method'),
      'request.scheme': h.first(':scheme'),
      'request.protocol': 'HTTP/1.1',
      'connection.uri_san_peer_certificate': s.principal,
      'xds.cluster_name': this.ctx.cluster(),
    };
    return pick(known, this.cfg.requestAttributes);
  }

  /** response_attributes, on the first response-side message only (upstream.* absent for local replies). */
  private responseAttributes(upstream: string | undefined): ProtoStruct | undefined {
    if (this.responseAttrsSent || !this.cfg.responseAttributes?.length) return undefined;
    this.responseAttrsSent = true;
    const port = upstream ? Number(upstream.slice(upstream.lastIndexOf(':') + 1)) : undefined;
    return pick({ 'upstream.address': upstream, 'upstream.port': port, 'xds.cluster_name': this.ctx.cluster() }, this.cfg.responseAttributes);
  }
}

function pick(known: Record<string, string | number | undefined>, names: readonly string[]): ProtoStruct {
  const chosen: Record<string, string | number | undefined> = {};
  for (const n of names) chosen[n] = known[n];
  return structOf(chosen);
}
