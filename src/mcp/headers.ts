// The 2026-07-28 standard headers Mcp-Method / Mcp-Name (reference/mcp.md §4.3).
import { ErrorCode, refusal, type McpRefusal } from './errors.js';
import { nameKindOf, type McpMessage } from './message.js';
import type { Revision } from './revision.js';

const BASE64_WORD = /^=\?base64\?([A-Za-z0-9+/=]*)\?=$/;

/** Header values that are not header-safe arrive as `=?base64?…?=` (exactly this form, lower case). */
export function decodeMcpHeaderValue(raw: string): string {
  const m = BASE64_WORD.exec(raw);
  return m ? Buffer.from(m[1] ?? '', 'base64').toString('utf8') : raw;
}

export interface MirroredHeaders {
  method?: string;
  name?: string;
}

export function readMirroredHeaders(get: (name: string) => string | undefined): MirroredHeaders {
  const method = get('mcp-method');
  const name = get('mcp-name');
  const out: MirroredHeaders = {};
  if (method !== undefined) out.method = decodeMcpHeaderValue(method.trim());
  if (name !== undefined) out.name = decodeMcpHeaderValue(name.trim());
  return out;
}

/** What a request says it is from its headers alone (when no body is available). */
export function messageFromHeaders(h: MirroredHeaders): McpMessage | undefined {
  if (!h.method) return undefined;
  const kind = nameKindOf(h.method);
  const m: McpMessage = { kind: 'request', method: h.method };
  if (kind && h.name) {
    m.name = h.name;
    m.nameKind = kind;
  }
  return m;
}

function mismatch(header: string, headerValue: string | undefined, bodyValue: string | undefined, id: McpMessage['id']): McpRefusal {
  return refusal(400, ErrorCode.headerMismatch, `Header mismatch: ${header} does not match the request body`, 'header_mismatch', id ?? null, {
    mismatch: { header, headerValue: headerValue ?? null, bodyValue: bodyValue ?? null },
  });
}

/**
 * Headers present must agree with the body; in revisions that mandate them a missing header is a
 * mismatch too, so policy decided on headers (ext_authz without a body) can never be talked past.
 */
export function checkMirroredHeaders(h: MirroredHeaders, message: McpMessage, revision: Revision): McpRefusal | undefined {
  if (message.kind === 'response') return undefined;
  const required = revision.requiresMirroredHeaders;
  if ((h.method !== undefined || required) && h.method !== message.method) return mismatch('Mcp-Method', h.method, message.method, message.id);
  if (message.name !== undefined && (h.name !== undefined || required) && h.name !== message.name) {
    return mismatch('Mcp-Name', h.name, message.name, message.id);
  }
  return undefined;
}
