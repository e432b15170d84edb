// The one core both Envoy adapters call: HTTP request view in, Decision out. No I/O of its own:
// identity, sessions, pods and limits enter through the interfaces the core owns (identityPort.ts,
// sessionPorts.ts, limitPort.ts), implemented elsewhere and wired in src/server.
import type { GatewayConfig } from '../config/index.js';
import {
  ErrorCode,
  checkMirroredHeaders,
  checkNameCaps,
  isFilteredList,
  isRefusal,
  messageFromHeaders,
  parseBody,
  readMirroredHeaders,
  refusal,
  revisionOf,
  tooLarge,
  type BodyLimits,
  type McpMessage,
  type McpRefusal,
  type Revision,
  type Visibility,
} from '../mcp/index.js';
import { PRM_PATH, ServerAccess, type AccessRefusal } from './access.js';
import type { Clock } from './clock.js';
import type { Authenticator, Principal } from './identityPort.js';
import type { Limiter, LimitLease, LimitVerdict } from './limitPort.js';
import { limitRefusal } from './limitRefusal.js';
import { carriesBody, checkMethod } from './httpMethod.js';
import { JSON_CONTENT_TYPE, denyWith, refusedWith, type Allow, type Decision, type Deny, type HeaderToSet, type LimitHold, type ListPlan, type RequestSummary, type Respond } from './decision.js';
import { MCP_METHOD_HEADER, MCP_NAME_HEADER, MCP_PRINCIPAL_HEADER, MCP_SCOPES_HEADER, MCP_TENANT_HEADER, ownedHeaderMutation } from './ownedHeaders.js';
import type { PinnedServer, ResponseView, SessionPinning } from './pinning.js';
import { ResponsePhase, type ResponseDecision, type ResponsePlan, type UpstreamResponse } from './response.js';
import type { BodyNeed, BodyReader } from './responseBody.js';
import type { HttpRequestView } from './request.js';
import { ServerTable, hostOf, type CompiledServer } from './servers.js';

/**
 * What the asking hook can do, stated by its adapter: the core decides by capability, never by the
 * hook's name. Only a hook that sees the response can pin sessions, filter lists and hold limits
 * until the response ends.
 */
export interface HookCapabilities {
  /** The hook is always shown the request body: in this message, or in a later one of the same request. */
  readonly seesBody: boolean;
  /** The hook sees the response to the request (its headers, and its body when it asks). */
  readonly seesResponse: boolean;
}

/** Credentials mcpgw injects into upstream requests, per server (read from files / environment). */
export interface UpstreamCredentials {
  headersFor(server: string): readonly HeaderToSet[];
}

export interface GatewayDeps {
  pinning?: SessionPinning;
  now?: Clock;
  authenticator?: Authenticator;
  credentials?: UpstreamCredentials;
  limiter?: Limiter;
}

interface ServerEntry {
  server: CompiledServer;
  access: ServerAccess;
  /** Client credentials that must not reach this upstream. */
  strip: readonly string[];
  /** What session pinning needs to know of the server, built once. */
  pinned: PinnedServer;
}

export class Gateway {
  private readonly servers: ServerTable;
  private readonly entries = new Map<string, ServerEntry>();
  private readonly forwarded = new ForwardedPrincipals();
  private readonly limits: BodyLimits;
  private readonly rejectUnmatched: boolean;
  /** Envoy runs a hook that sees every request's body and response (config `extProc`). */
  private readonly responseHookRuns: boolean;
  private readonly response: ResponsePhase;

  constructor(
    config: GatewayConfig,
    private readonly deps: GatewayDeps = {},
  ) {
    this.servers = new ServerTable(config);
    this.limits = config.requests;
    this.rejectUnmatched = config.unmatchedRequests === 'reject';
    this.responseHookRuns = config.extProc;
    this.response = new ResponsePhase({
      ...(deps.pinning ? { pinning: deps.pinning } : {}),
      bindLimits: (leases, id) => this.bindLimits(leases, id),
      visibility: (plan) => this.visibility(plan),
    });
    const credentialHeaders = ['authorization', 'dpop', config.identity.apiKeyHeader];
    for (const s of config.servers) {
      const server = this.servers.byName(s.name);
      if (!server) continue;
      this.entries.set(s.name, {
        server,
        access: new ServerAccess(s, config.identity, deps.authenticator),
        strip: s.upstream.passAuthorization ? [] : credentialHeaders,
        pinned: { name: s.name, affinityHeader: s.affinity.header, mode: s.affinity.mode, recovery: s.recovery },
      });
    }
  }

  /**
   * Decides one request. With `view.body === undefined` (no body visible to this hook) it decides from
   * headers alone: it can deny early, and whatever it allows is checked again once the body is seen.
   */
  async decide(view: HttpRequestView, hook: HookCapabilities): Promise<Decision> {
    const seen: { single?: McpMessage } = {};
    const d = await this.decideWith(view, hook, seen);
    if (seen.single) d.subject = { id: seen.single.id, params: seen.single.params };
    return d;
  }

  private async decideWith(view: HttpRequestView, hook: HookCapabilities, seen: { single?: McpMessage }): Promise<Decision> {
    const path = view.path.split('?', 1)[0] ?? '/';
    if (path === PRM_PATH || path.startsWith(`${PRM_PATH}/`)) {
      const answer = this.protectedResourceMetadata(view, path);
      if (answer) return answer;
    }
    const matched = this.servers.match(view.authority, view.path);
    const entry = matched && this.entries.get(matched.name);
    if (!entry) {
      if (this.rejectUnmatched) {
        return denyWith(refusal(404, ErrorCode.notFound, 'No MCP server is configured for this host and path', 'no_server'), {});
      }
      return { kind: 'allow', ...ownedHeaderMutation({}), summary: {} };
    }
    const { server, access } = entry;
    const revision = revisionOf(view.header('mcp-protocol-version'));
    const summary: RequestSummary = { server: server.name, revision: revision.value };

    const method = checkMethod(view);
    if ('refusal' in method) return this.refuseAccess(method, summary);
    // A preflight carries no credentials and no JSON-RPC: nothing to authenticate or authorize.
    if (method.kind === 'preflight') return this.allowed(entry, summary, undefined);

    const declared = Number(view.header('content-length'));
    if (declared > this.limits.maxBodyBytes) return denyWith(tooLarge(this.limits.maxBodyBytes), summary);

    const messages = method.kind === 'json_rpc' ? this.messagesOf(view, revision, hook) : [];
    if (!Array.isArray(messages)) return denyWith(messages, summary);
    summarize(summary, messages);
    if (messages.length === 1) seen.single = messages[0];

    const identified = await access.identify(view, view.verified ?? this.trustedPrincipal(view));
    if ('refusal' in identified) return this.refuseAccess(identified, summary);
    const principal = identified.principal;
    if (principal) summary.principal = principal.id;

    for (const m of messages) {
      const denied = this.authorizeTool(server, m) ?? access.authorize(principal, m);
      if (denied) return this.refuseAccess(denied, summary);
    }

    const allow = this.allowed(entry, summary, principal);
    const final = view.body !== undefined;
    if (hook.seesResponse && final) {
      const list = listPlan(messages, access, server, principal);
      if (list) allow.list = list;
      const pinning = this.deps.pinning;
      if (pinning) {
        const pinned = await pinning.pinRequest({
          server: entry.pinned,
          view,
          revision,
          messages,
          upstreamHeaders: allow.setHeaders,
          ...(principal ? { principal: principal.id } : {}),
        });
        if ('refusal' in pinned) return refusedWith(pinned.refusal, summary, pinned.retryAfter);
        if (pinned.affinity) {
          allow.setHeaders.push(pinned.affinity);
          allow.removeHeaders = allow.removeHeaders.filter((h) => h !== pinned.affinity?.name);
        }
        // A recovered session: the pod knows it by another id than the client.
        if (pinned.sessionId) allow.setHeaders.push(pinned.sessionId);
        allow.pin = pinned.plan;
      }
    }
    // Counted once per request, after everything that could refuse for another reason, by the hook that
    // sees the response end when Envoy runs one (it gives concurrency back), else by the only hook.
    const countsLimits = this.responseHookRuns ? hook.seesResponse && final : !hook.seesResponse;
    if (countsLimits && this.deps.limiter) {
      const limited = await this.applyLimits(this.deps.limiter, view, messages, server.name, principal, summary);
      if ('refusal' in limited) return limited.refusal;
      const hold = limited.hold;
      // A hook that never sees the response end cannot hold anything until then: give it back now.
      if (hold && !hook.seesResponse && hold.leases.length) await this.releaseLimits(hold.leases.splice(0));
      if (hold) allow.limits = hold;
    }
    return allow;
  }

  /**
   * Every request message of the body is checked (a batch cannot buy a discount); one refusal gives
   * back what earlier messages took and refuses the whole request.
   */
  private async applyLimits(limiter: Limiter, view: HttpRequestView, messages: readonly McpMessage[], server: string, principal: Principal | undefined, summary: RequestSummary): Promise<{ refusal: Deny } | { hold?: LimitHold }> {
    const sessionId = view.header('mcp-session-id');
    const verdicts: LimitVerdict[] = [];
    for (const m of messages) {
      if (m.kind !== 'request' || !m.method) continue;
      const v = await limiter.check({
        server,
        method: m.method,
        isNewSession: m.method === 'initialize' && sessionId === undefined,
        ...(m.name !== undefined ? { tool: m.name } : {}),
        ...(principal ? { principal: principal.id } : {}),
        ...(principal?.tenant !== undefined ? { tenant: principal.tenant } : {}),
        ...(sessionId !== undefined ? { sessionId } : {}),
      });
      if (!v.allowed && v.refused) {
        await this.releaseLimits(verdicts.flatMap(leaseOf));
        return { refusal: denyWith(limitRefusal(v.refused, m.id ?? null), summary, v.headers) };
      }
      verdicts.push(v);
    }
    if (!verdicts.length) return {};
    const hold: LimitHold = { leases: verdicts.flatMap(leaseOf), responseHeaders: verdicts.flatMap((v) => v.headers) };
    const anomaly = verdicts.find((v) => v.anomaly)?.anomaly;
    if (anomaly) hold.anomaly = anomaly;
    return { hold };
  }

  /** What a list plan's caller may see on its server: its policy and the server's tool list. */
  private visibility(plan: ListPlan): Visibility {
    const entry = this.entries.get(plan.server);
    return entry ? entry.access.visibility(plan.principal, entry.server.toolAllowed) : () => true;
  }

  /** Gives back what a request held in the limits (its response ended, or nobody will see it end). Never rejects. */
  async releaseLimits(leases: readonly LimitLease[]): Promise<void> {
    const limiter = this.deps.limiter;
    if (limiter && leases.length) await Promise.all(leases.map((l) => limiter.release(l)));
  }

  /** The session a response named takes over the request's session-cap reservations. Never rejects. */
  private async bindLimits(leases: readonly LimitLease[], sessionId: string): Promise<void> {
    const limiter = this.deps.limiter;
    if (limiter && leases.length) await Promise.all(leases.map((l) => limiter.bindSession(l, sessionId)));
  }

  /**
   * Decides what happens to a response (only a hook that sees responses asks): session bindings and
   * losses, list filtering, what of the body to read, or a replacement answer.
   */
  decideResponse(plan: ResponsePlan, res: UpstreamResponse): Promise<ResponseDecision> {
    return this.response.decide(plan, res);
  }

  /** Reads the response body a response decision asked for; one reader per response. */
  readResponseBody(plan: ResponsePlan, need: BodyNeed, res: ResponseView): BodyReader {
    return this.response.reader(plan, need, res);
  }

  /**
   * A body Envoy sent only in part (BUFFERED_PARTIAL over its buffer, or a STREAMED chunk) cannot be
   * checked, so it is refused as too large rather than let through unread.
   */
  refusePartialBody(view: HttpRequestView): Decision {
    const server = this.servers.match(view.authority, view.path);
    return denyWith(tooLarge(this.limits.maxBodyBytes), server ? { server: server.name } : {});
  }

  /** Owned headers set from what was verified; client copies, the affinity header and credentials removed. */
  private allowed(entry: ServerEntry, summary: RequestSummary, principal: Principal | undefined): Allow {
    const { server } = entry;
    const owned = ownedHeaderMutation({
      [MCP_METHOD_HEADER]: summary.method,
      [MCP_NAME_HEADER]: summary.name,
      [MCP_PRINCIPAL_HEADER]: principal?.id,
      [MCP_TENANT_HEADER]: principal?.tenant,
      [MCP_SCOPES_HEADER]: principal && principal.scopes.length ? principal.scopes.join(' ') : undefined,
    });
    const injected = this.deps.credentials?.headersFor(server.name) ?? [];
    const injectedNames = new Set(injected.map((h) => h.name));
    // Clients never choose pods: their copy of the affinity header is dropped (pinning may set it).
    const removeHeaders = [...owned.removeHeaders, server.config.affinity.header, ...entry.strip.filter((h) => !injectedNames.has(h))];
    const allow: Allow = { kind: 'allow', setHeaders: [...owned.setHeaders, ...injected], removeHeaders, summary };
    if (principal) allow.principal = principal;
    return allow;
  }

  private refuseAccess(a: AccessRefusal, summary: RequestSummary): Deny {
    return denyWith(a.refusal, summary, a.headers);
  }

  /** RFC 9728 metadata at the path-inserted and root well-known URLs; unauthenticated by design. */
  private protectedResourceMetadata(view: HttpRequestView, path: string): Respond | undefined {
    if (view.method !== 'GET' && view.method !== 'HEAD') return undefined;
    const host = hostOf(view.authority);
    const candidates = [...this.entries.values()].filter((e) => e.access.metadataUrl && hostOf(new URL(e.access.metadataUrl).host) === host);
    const exact = candidates.find((e) => new URL(e.access.metadataUrl as string).pathname === path);
    const chosen = exact ?? (path === PRM_PATH && candidates.length === 1 ? candidates[0] : undefined);
    if (!chosen?.access.metadata) return undefined;
    return {
      kind: 'respond',
      status: 200,
      headers: [JSON_CONTENT_TYPE, { name: 'cache-control', value: 'public, max-age=300' }, { name: 'access-control-allow-origin', value: '*' }],
      body: JSON.stringify(chosen.access.metadata),
      reason: 'protected_resource_metadata',
      summary: { server: chosen.server.name },
    };
  }

  private messagesOf(view: HttpRequestView, revision: Revision, hook: HookCapabilities): McpMessage[] | McpRefusal {
    const mirrored = readMirroredHeaders(view.header);
    if (view.body === undefined) {
      // When no hook will ever read the body, headers alone (the client's own Mcp-Method) never decide.
      if (!hook.seesBody && !this.responseHookRuns) return this.unreadBody(view);
      const fromHeaders = messageFromHeaders(mirrored);
      if (!fromHeaders) return [];
      return checkNameCaps(fromHeaders, this.limits.maxNameBytes) ?? [fromHeaders];
    }
    if (view.body === null) return noBody();
    const parsed = parseBody(view.body, revision, this.limits);
    if (isRefusal(parsed)) return parsed;
    const [only] = parsed.messages;
    if (!parsed.batch && only) {
      const mismatch = checkMirroredHeaders(mirrored, only, revision);
      if (mismatch) return mismatch;
    }
    return parsed.messages;
  }

  /** No hook will read the body (ext_authz alone, and Envoy did not send it whole): refuse, saying why. */
  private unreadBody(view: HttpRequestView): McpRefusal {
    if (view.bodyPartial) return tooLarge(this.limits.maxBodyBytes);
    if (carriesBody(view) === false) return noBody();
    return refusal(
      500,
      ErrorCode.misconfigured,
      "mcpgw did not receive the request body: with extProc: false, Envoy's ext_authz filter must send it (set with_request_body, max_request_bytes = requests.maxBodyBytes)",
      'body_not_sent',
    );
  }

  /** The principal ext_authz verified, if Envoy forwarded it and it has not expired; malformed metadata is ignored (re-verify). */
  private trustedPrincipal(view: HttpRequestView): Principal | undefined {
    const raw = view.envoy?.verifiedPrincipal;
    const p = raw ? this.forwarded.of(raw) : undefined;
    return p?.expiresAt !== undefined && p.expiresAt <= (this.deps.now ?? Date.now)() ? undefined : p;
  }

  private authorizeTool(server: CompiledServer, m: McpMessage): AccessRefusal | undefined {
    if (m.nameKind === 'tool' && m.name !== undefined && !server.toolAllowed(m.name)) {
      return { refusal: refusal(403, ErrorCode.forbidden, `Forbidden: tool "${m.name}" is not available on this server`, 'tool_denied', m.id ?? null), headers: [] };
    }
    return undefined;
  }
}

/** How many forwarded principals (by their JSON) a Gateway keeps parsed; the memo is emptied when full. */
const FORWARDED_PRINCIPALS_MAX = 1024;

/**
 * The principals ext_authz forwarded, by their JSON text: a caller's requests carry the same text, so
 * it is parsed once (and frozen, as it is shared), not on every ext_proc request. Malformed text is
 * remembered as null.
 */
class ForwardedPrincipals {
  private readonly parsed = new Map<string, Principal | null>();

  of(raw: string): Principal | undefined {
    let p = this.parsed.get(raw);
    if (p === undefined) {
      p = parsePrincipal(raw);
      if (this.parsed.size >= FORWARDED_PRINCIPALS_MAX) this.parsed.clear();
      this.parsed.set(raw, p);
    }
    return p ?? undefined;
  }
}

function parsePrincipal(raw: string): Principal | null {
  try {
    const p = JSON.parse(raw) as Principal;
    if (typeof p.id !== 'string' || !Array.isArray(p.scopes)) return null;
    for (const list of [p.scopes, p.roles, p.groups]) if (Array.isArray(list)) Object.freeze(list);
    return Object.freeze(p);
  } catch {
    return null;
  }
}

function leaseOf(v: LimitVerdict): LimitLease[] {
  return v.lease ? [v.lease] : [];
}

function noBody(): McpRefusal {
  return refusal(400, ErrorCode.parseError, 'Parse error: a POST needs a JSON-RPC body', 'parse_error');
}

/** A single list request whose result policy or the tool lists may narrow. */
function listPlan(messages: readonly McpMessage[], access: ServerAccess, server: CompiledServer, principal: Principal | undefined): ListPlan | undefined {
  const [only] = messages;
  if (messages.length !== 1 || !only?.method || only.kind !== 'request' || !isFilteredList(only.method)) return undefined;
  if (!access.hasPolicy && !server.filtersTools) return undefined;
  return { server: server.name, method: only.method, requestId: only.id ?? null, ...(principal ? { principal } : {}) };
}

/** Methods (and the name of a single named request) for metrics and logs; a single message needs no set. */
function summarize(summary: RequestSummary, messages: McpMessage[]): void {
  const [only] = messages;
  if (messages.length === 1 && only) {
    summary.method = only.method ?? 'response';
    if (only.name !== undefined) summary.name = only.name;
    return;
  }
  const methods = [...new Set(messages.map((m) => m.method).filter((m): m is string => m !== undefined))];
  if (methods.length) summary.method = methods.join(',');
  else if (messages.length) summary.method = 'response';
}
