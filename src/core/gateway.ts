// The one core both Envoy adapters call: HTTP request view in, Decision out. No I/O of its own:
// sessions and pods enter through SessionPinning's interfaces.
import type { GatewayConfig } from '../config/index.js';
import {
  ErrorCode,
  checkMirroredHeaders,
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
} from '../mcp/index.js';
import { denyWith, type Decision, type Deny, type HeaderToSet, type RequestSummary } from './decision.js';
import { MCP_METHOD_HEADER, MCP_NAME_HEADER, ownedHeaderMutation } from './ownedHeaders.js';
import type { PinPlan, SessionPinning } from './pinning.js';
import type { HttpRequestView } from './request.js';
import { ServerTable, type CompiledServer } from './servers.js';

/** Which adapter asks: only ext_proc sees responses, so only it pins sessions. */
export type Hook = 'ext_authz' | 'ext_proc';

export interface GatewayDeps {
  pinning?: SessionPinning;
}

export class Gateway {
  private readonly servers: ServerTable;
  private readonly limits: BodyLimits;
  private readonly rejectUnmatched: boolean;

  constructor(
    config: GatewayConfig,
    private readonly deps: GatewayDeps = {},
  ) {
    this.servers = new ServerTable(config);
    this.limits = config.requests;
    this.rejectUnmatched = config.unmatchedRequests === 'reject';
  }

  /**
   * Decides one request. With `view.body === undefined` (no body visible to this hook) it decides from
   * headers alone: it can deny early, and whatever it allows is checked again once the body is seen.
   */
  async decide(view: HttpRequestView, hook: Hook): Promise<Decision> {
    const server = this.servers.match(view.authority, view.path);
    if (!server) {
      if (this.rejectUnmatched) {
        return denyWith(refusal(404, ErrorCode.notFound, 'No MCP server is configured for this host and path', 'no_server'), {});
      }
      return { kind: 'allow', ...ownedHeaderMutation({}), summary: {} };
    }
    const revision = revisionOf(view.header('mcp-protocol-version'));
    const summary: RequestSummary = { server: server.name, revision: revision.value };

    const declared = Number(view.header('content-length'));
    if (declared > this.limits.maxBodyBytes) return denyWith(tooLarge(this.limits.maxBodyBytes), summary);

    const messages = view.method === 'POST' ? this.messagesOf(view, revision) : [];
    if (!Array.isArray(messages)) return denyWith(messages, summary);
    summarize(summary, messages);

    for (const m of messages) {
      const denied = this.authorize(server, m);
      if (denied) return denyWith(denied, summary);
    }

    const owned = ownedHeaderMutation({ [MCP_METHOD_HEADER]: summary.method, [MCP_NAME_HEADER]: summary.name });
    // Clients never choose pods: their copy of the affinity header is always dropped or overwritten.
    const affinity = server.config.affinity.header;
    const pinning = this.deps.pinning;
    const final = view.body !== undefined;
    if (hook !== 'ext_proc' || !pinning || !final) {
      return { kind: 'allow', setHeaders: owned.setHeaders, removeHeaders: [...owned.removeHeaders, affinity], summary };
    }
    const pinned = await pinning.pinRequest({ server: { name: server.name, affinityHeader: affinity, mode: server.config.affinity.mode }, view, revision, messages });
    if ('refusal' in pinned) return this.refuse(pinned.refusal, summary, pinned.retryAfter);
    const setHeaders: HeaderToSet[] = pinned.affinity ? [...owned.setHeaders, pinned.affinity] : owned.setHeaders;
    const removeHeaders = pinned.affinity ? owned.removeHeaders : [...owned.removeHeaders, affinity];
    return { kind: 'allow', setHeaders, removeHeaders, summary, pin: pinned.plan };
  }

  /** A refusal as a Deny, with `Retry-After` when the client should simply try again. */
  refuse(r: McpRefusal, summary: RequestSummary, retryAfter?: number): Deny {
    return denyWith(r, summary, retryAfter === undefined ? [] : [{ name: 'retry-after', value: String(retryAfter) }]);
  }

  /**
   * A body Envoy sent only in part (BUFFERED_PARTIAL over its buffer, or a STREAMED chunk) cannot be
   * checked, so it is refused as too large rather than let through unread.
   */
  refusePartialBody(view: HttpRequestView): Decision {
    const server = this.servers.match(view.authority, view.path);
    return denyWith(tooLarge(this.limits.maxBodyBytes), server ? { server: server.name } : {});
  }

  get pinning(): SessionPinning | undefined {
    return this.deps.pinning;
  }

  private messagesOf(view: HttpRequestView, revision: Revision): McpMessage[] | McpRefusal {
    const mirrored = readMirroredHeaders(view.header);
    if (view.body === undefined) {
      const fromHeaders = messageFromHeaders(mirrored);
      return fromHeaders ? [fromHeaders] : [];
    }
    if (view.body === null) return refusal(400, ErrorCode.parseError, 'Parse error: a POST needs a JSON-RPC body', 'parse_error');
    const parsed = parseBody(view.body, revision, this.limits);
    if (isRefusal(parsed)) return parsed;
    const [only] = parsed.messages;
    if (!parsed.batch && only) {
      const mismatch = checkMirroredHeaders(mirrored, only, revision);
      if (mismatch) return mismatch;
    }
    return parsed.messages;
  }

  private authorize(server: CompiledServer, m: McpMessage): McpRefusal | undefined {
    if (m.nameKind === 'tool' && m.name !== undefined && !server.toolAllowed(m.name)) {
      return refusal(403, ErrorCode.forbidden, `Forbidden: tool "${m.name}" is not available on this server`, 'tool_denied', m.id ?? null);
    }
    return undefined;
  }
}

export type { PinPlan };

function summarize(summary: RequestSummary, messages: McpMessage[]): void {
  const methods = [...new Set(messages.map((m) => m.method).filter((m): m is string => m !== undefined))];
  if (methods.length) summary.method = methods.join(',');
  else if (messages.length) summary.method = 'response';
  const [only] = messages;
  if (messages.length === 1 && only?.name !== undefined) summary.name = only.name;
}
