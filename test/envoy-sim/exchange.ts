// One HTTP request through the sim: decoder chain (ext_authz → ext_proc) → router → upstream, then
// the encoder chain (ext_proc → ext_authz response headers) back to the client. Local replies take
// the same encoder path, as in Envoy's filter manager.
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type * as grpc from '@grpc/grpc-js';
import type { HeaderValueOption, ProtoStruct } from '../../src/envoy/messages.js';
import { applyAuthzHeaders, EXT_AUTHZ_NAMESPACE, type ExtAuthzFilter, type Peer } from './extAuthz.js';
import { ExtProcSession } from './extProcSession.js';
import { HeaderList, toNodeHeaders } from './headerList.js';
import { localReply, type LocalReply } from './localReply.js';
import { DEFAULT_BUFFER_LIMIT, type EnvoySimOptions, type SimLogEntry, type SimRoute } from './options.js';
import { RequestBody } from './requestBody.js';
import { matchRoute, type ClusterLb } from './routing.js';
import { markServedHost, requestedHost } from './statefulSession.js';
import { openUpstream, responseHeaders, responseIsBodyless } from './upstream.js';

/** Test-only stand-in for the caller's mTLS SPIFFE id (source.principal, uri_san_peer_certificate). */
export const PEER_PRINCIPAL_HEADER = 'x-sim-peer-principal';
/** Sim-only response header naming the host key that served the request (added after ext_proc). */
export const UPSTREAM_HEADER = 'x-sim-upstream';

export interface SimContext {
  opts: EnvoySimOptions;
  clusters: Map<string, ClusterLb>;
  authz?: ExtAuthzFilter;
  extProcClient?: () => grpc.Client;
  agent: http.Agent;
  log: SimLogEntry[];
}

interface ResponseSource {
  headers: HeaderList; // with :status
  body: Buffer | http.IncomingMessage;
  bodyless: boolean;
  upstream?: string;
  local?: LocalReply;
}

export class Exchange {
  private readonly headers: HeaderList;
  private readonly body: RequestBody;
  private readonly entry: SimLogEntry;
  private readonly source: Peer;
  private readonly destination: Peer;
  private readonly dynamicMetadata = new Map<string, ProtoStruct>();
  private route: SimRoute | undefined;
  private session: ExtProcSession | undefined;
  private responseHeadersToAdd: HeaderValueOption[] = [];
  private upstreamReq: http.ClientRequest | undefined;
  private upstreamRes: http.IncomingMessage | undefined;
  private clientGone = false;
  /** What the stateful_session filter read from the request; null until (unless) its decodeHeaders ran. */
  private sessionHost: string | undefined | null = null;
  private finishEntry!: () => void;

  constructor(
    private readonly sim: SimContext,
    private readonly req: http.IncomingMessage,
    private readonly res: http.ServerResponse,
  ) {
    this.headers = requestHeaders(req);
    const principal = this.headers.first(PEER_PRINCIPAL_HEADER);
    this.headers.remove(PEER_PRINCIPAL_HEADER); // before anything else sees it
    const te = req.headers['transfer-encoding'];
    const cl = req.headers['content-length'];
    this.body = new RequestBody(req, te !== undefined || (cl !== undefined && cl !== '0'));
    this.source = { address: req.socket.remoteAddress ?? '', port: req.socket.remotePort ?? 0, principal };
    this.destination = { address: req.socket.localAddress ?? '', port: req.socket.localPort ?? 0 };
    const done = new Promise<void>((r) => (this.finishEntry = r));
    this.entry = {
      id: BigInt.asUintN(64, BigInt(`0x${randomUUID().replace(/-/g, '').slice(0, 16)}`)).toString(),
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      status: 0,
      dynamicMetadata: {},
      extProcMessages: [],
      rejectedMutations: [],
      done,
    };
    sim.log.push(this.entry);
    res.on('close', () => {
      if (res.writableFinished) return;
      // Client disconnect: abort the upstream request and end the ext_proc stream.
      this.clientGone = true;
      this.upstreamReq?.destroy();
      this.upstreamRes?.destroy();
      this.session?.finish();
    });
  }

  async run(): Promise<void> {
    try {
      await this.decodeAndRoute();
    } catch {
      this.reset();
    } finally {
      this.session?.finish();
      this.finishEntry();
    }
  }

  private async decodeAndRoute(): Promise<void> {
    this.route = matchRoute(this.sim.opts.routes, this.headers);
    // The filter exists from the start: local replies of earlier filters still reach its encode side.
    const cfg = this.sim.opts.extProc;
    if (cfg && this.sim.extProcClient) {
      this.session = new ExtProcSession(cfg, this.sim.extProcClient(), {
        headers: this.headers,
        source: this.source,
        destination: this.destination,
        cluster: () => this.route?.cluster,
        dynamicMetadata: this.dynamicMetadata,
        entry: this.entry,
      });
    }
    if (this.sim.authz) {
      const o = await this.sim.authz.check({ id: this.entry.id, headers: this.headers, body: this.body, source: this.source, destination: this.destination });
      if (o.dynamicMetadata) this.setMetadata(EXT_AUTHZ_NAMESPACE, o.dynamicMetadata);
      if (o.kind === 'deny') return this.respond(this.local(o.reply));
      this.responseHeadersToAdd = o.responseHeadersToAdd;
    }
    let bodyOverride: Buffer | undefined;
    const s = this.session;
    if (s) {
      const hs = await s.onRequestHeaders(!this.body.present);
      if (hs.kind === 'local') return this.respond(this.local(hs.reply));
      if (hs.clearRoute) this.route = matchRoute(this.sim.opts.routes, this.headers);
      if (hs.replaceAndStop) {
        bodyOverride = hs.body;
        this.headers.remove('content-length');
      }
      if (s.active && !s.requestDone && this.body.present && s.mode.request_body_mode === 'BUFFERED') {
        const within = await this.body.fillBeyond(this.sim.opts.bufferLimitBytes ?? DEFAULT_BUFFER_LIMIT);
        if (this.body.aborted || this.clientGone) return;
        if (!within) return this.respond(this.local(localReply(413, 'request_payload_too_large', 'Payload Too Large')));
        const bs = await s.onRequestBody(this.body.peek());
        if (bs.kind === 'local') return this.respond(this.local(bs.reply));
        if (bs.clearRoute) this.route = matchRoute(this.sim.opts.routes, this.headers);
        if (bs.body) {
          const cl = this.headers.first('content-length');
          if (cl !== undefined && Number(cl) !== bs.body.length) return this.respond(this.local(localReply(500, 'ext_proc_error_body_length_mismatch')));
          this.body.replace(bs.body);
        }
      }
    }
    if (this.clientGone) return;
    await this.forward(bodyOverride);
  }

  private async forward(bodyOverride: Buffer | undefined): Promise<void> {
    if (!this.route) return this.respond(this.local(localReply(404, 'route_not_found')));
    this.entry.cluster = this.route.cluster;
    const lb = this.sim.clusters.get(this.route.cluster)!;
    let host: string | undefined;
    const stateful = this.sim.opts.statefulSession;
    if (stateful) {
      // Runs just before the router, so it reads the headers as ext_authz / ext_proc left them.
      this.sessionHost = requestedHost(this.headers, stateful.header);
      if (this.sessionHost !== undefined) {
        host = lb.overrideHost(this.sessionHost);
        if (host) this.entry.overrideHost = host;
        else if (stateful.strict) return this.respond(this.local(localReply(stateful.statusOnStrictNotFound ?? 503, 'stateful_session_host_not_found', 'no healthy upstream')));
      }
    }
    host ??= lb.pick(this.headers);
    if (!host) return this.respond(this.local(localReply(503, 'no_healthy_upstream', 'no healthy upstream')));
    const streamed = this.session?.active && !this.session.requestDone && this.body.present && bodyOverride === undefined && this.session.mode.request_body_mode === 'STREAMED';
    if (streamed) this.headers.remove('content-length'); // Envoy drops it in STREAMED mode
    this.entry.upstreamHeaders = { host: this.headers.first(':authority') ?? host, ...this.headers.toRecord() };
    const call = openUpstream(host, this.headers, this.sim.agent);
    this.upstreamReq = call.request;
    const sent = this.sendBody(call.request, bodyOverride, streamed === true);
    // STREAMED request chunks are serialized before the response phase (one outstanding message).
    const bodyStep = streamed ? await sent : undefined;
    if (bodyStep) {
      call.request.destroy();
      return this.respond(this.local(bodyStep));
    }
    const r = await call.response;
    if (r instanceof Error) {
      if (this.clientGone) return;
      return this.respond(this.local(localReply(503, 'upstream_reset_before_response_started{connection_failure}', 'upstream connect error or disconnect/reset before headers. reset reason: connection failure')));
    }
    this.upstreamRes = r;
    await this.respond({ headers: responseHeaders(r), body: r, bodyless: responseIsBodyless(this.entry.method, r), upstream: host });
  }

  /** Writes the request body upstream; returns a local reply if STREAMED processing failed. */
  private async sendBody(up: http.ClientRequest, override: Buffer | undefined, streamed: boolean): Promise<LocalReply | undefined> {
    up.on('error', () => {});
    if (override !== undefined) return void up.end(override);
    if (!this.body.present) return void up.end();
    for (;;) {
      const chunk = await this.body.next();
      if (this.body.aborted) return void up.destroy();
      if (streamed && this.session?.active) {
        const step = await this.session.onRequestChunk(chunk ?? Buffer.alloc(0), chunk === null);
        if (step.kind === 'local') return step.reply;
        const out = step.body ?? chunk;
        if (out && out.length) up.write(out);
      } else if (chunk) up.write(chunk);
      if (chunk === null) return void up.end();
    }
  }

  private local(reply: LocalReply): ResponseSource {
    const headers = reply.headers.clone();
    headers.set(':status', String(reply.status));
    headers.set('content-length', String(reply.body.length));
    return { headers, body: reply.body, bodyless: reply.body.length === 0, local: reply };
  }

  /** Encoder chain: ext_proc response phase, then ext_authz response_headers_to_add, then the client. */
  private async respond(src: ResponseSource): Promise<void> {
    if (this.clientGone) return;
    this.entry.upstream = src.upstream;
    this.entry.localReply = src.local ? { status: src.local.status, details: src.local.details, body: src.local.body.toString('utf8') } : undefined;
    // Encoder order is the reverse of the decoder order: stateful_session (just before the router) first.
    const stateful = this.sim.opts.statefulSession;
    if (stateful && this.sessionHost !== null && src.upstream) markServedHost(src.headers, stateful.header, this.sessionHost, src.upstream);
    const s = this.session;
    let replaced: Buffer | undefined;
    if (s?.wantsResponseHeaders()) {
      const step = await s.onResponseHeaders(src.headers, src.bodyless, src.upstream);
      if (step.kind === 'local') return this.replaceWithLocal(src, step.reply);
      if (step.replaceAndStop) replaced = step.body;
    }
    const mode = replaced !== undefined ? 'NONE' : (s?.responseBodyMode() ?? 'NONE');
    applyAuthzHeaders(src.headers, this.responseHeadersToAdd);
    if (replaced !== undefined) {
      src.headers.set('content-length', String(replaced.length));
      return this.writeAll(src, replaced);
    }
    if (src.bodyless || mode === 'NONE') {
      s?.finish(); // newest Envoy closes once the last expected reply arrived
      return this.stream(src, undefined);
    }
    if (mode === 'BUFFERED') return this.encodeBuffered(src, s!);
    return this.stream(src, s!);
  }

  private async replaceWithLocal(src: ResponseSource, reply: LocalReply): Promise<void> {
    if (!isBuffer(src.body)) src.body.destroy();
    // ext_proc is finished now, so this local reply skips it.
    return this.respond(this.local(reply));
  }

  private async encodeBuffered(src: ResponseSource, s: ExtProcSession): Promise<void> {
    const body = await this.collect(src.body);
    if (body === undefined) {
      s.finish();
      return this.respond(this.local(localReply(500, 'response_payload_too_large')));
    }
    const step = await s.onResponseBody(body, true, src.headers, src.upstream);
    if (step.kind === 'local') return this.respond(this.local(step.reply));
    const out = step.body ?? body;
    src.headers.remove('transfer-encoding');
    src.headers.set('content-length', String(out.length));
    return this.writeAll(src, out);
  }

  private async collect(body: Buffer | http.IncomingMessage): Promise<Buffer | undefined> {
    if (isBuffer(body)) return body;
    const limit = this.sim.opts.bufferLimitBytes ?? DEFAULT_BUFFER_LIMIT;
    const parts: Buffer[] = [];
    let n = 0;
    for await (const c of body as AsyncIterable<Buffer>) {
      parts.push(c);
      n += c.length;
      if (n > limit) {
        body.destroy();
        return undefined;
      }
    }
    return Buffer.concat(parts);
  }

  private writeHead(src: ResponseSource): void {
    const status = Number(src.headers.first(':status') ?? 200);
    this.entry.status = status;
    const extra: Array<[string, string]> = src.upstream ? [[UPSTREAM_HEADER, src.upstream]] : [];
    this.res.writeHead(status, toNodeHeaders(src.headers, extra));
    this.res.flushHeaders();
  }

  private writeAll(src: ResponseSource, body: Buffer): void {
    if (!isBuffer(src.body)) src.body.destroy();
    this.writeHead(src);
    this.res.end(body);
  }

  /** Streams the body to the client as chunks arrive; with a session, each chunk is a STREAMED message. */
  private async stream(src: ResponseSource, s: ExtProcSession | undefined): Promise<void> {
    if (s) src.headers.remove('content-length'); // chunks may change size
    this.writeHead(src);
    if (isBuffer(src.body)) {
      if (!s) return void this.res.end(src.body);
      const step = await s.onResponseBody(src.body, true, undefined, src.upstream);
      if (step.kind === 'local') return this.reset();
      return void this.res.end(step.body ?? src.body);
    }
    for await (const c of src.body as AsyncIterable<Buffer>) {
      let out = c;
      if (s?.active) {
        const step = await s.onResponseBody(c, false, undefined, src.upstream);
        // Headers already went out: an error or immediate_response can only reset the stream.
        if (step.kind === 'local') return this.reset();
        out = step.body ?? c;
      }
      if (out.length && !this.res.write(out)) await new Promise((r) => this.res.once('drain', r));
    }
    if (s?.active) {
      const step = await s.onResponseBody(Buffer.alloc(0), true, undefined, src.upstream);
      if (step.kind === 'local') return this.reset();
      if (step.body?.length) this.res.write(step.body);
    }
    this.res.end();
  }

  private reset(): void {
    this.entry.status = -1;
    this.upstreamReq?.destroy();
    this.res.destroy();
  }

  private setMetadata(ns: string, s: ProtoStruct): void {
    this.dynamicMetadata.set(ns, s);
    this.entry.dynamicMetadata[ns] = s;
  }
}

/** Envoy's request header map for an HTTP/1.1 request: pseudo-headers first, Host → :authority. */
function requestHeaders(req: http.IncomingMessage): HeaderList {
  const h = new HeaderList([
    [':authority', req.headers.host ?? ''],
    [':path', req.url ?? '/'],
    [':method', req.method ?? 'GET'],
    [':scheme', 'http'],
  ]);
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const k = req.rawHeaders[i]!.toLowerCase();
    if (k !== 'host') h.add(k, req.rawHeaders[i + 1]!);
  }
  // The HCM adds these before any filter runs.
  if (!h.has('x-request-id')) h.set('x-request-id', randomUUID());
  if (!h.has('x-forwarded-proto')) h.set('x-forwarded-proto', 'http');
  return h;
}

function isBuffer(b: Buffer | http.IncomingMessage): b is Buffer {
  return Buffer.isBuffer(b);
}
