// Parses a POST body into MCP messages, refusing anything malformed or oversized with a clear answer.
import { checkJsonBounds, checkNameCaps, type JsonBounds, type NameCaps } from './bounds.js';
import { ErrorCode, refusal, type McpRefusal } from './errors.js';
import { classifyMessage, type McpMessage } from './message.js';
import type { Revision } from './revision.js';

export interface BodyLimits extends JsonBounds {
  maxBodyBytes: number;
  maxBatchSize: number;
  maxNameBytes: NameCaps;
}

export interface ParsedBody {
  messages: McpMessage[];
  batch: boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function isRefusal(v: object): v is McpRefusal {
  return 'status' in v && 'code' in v;
}

export function tooLarge(limit: number): McpRefusal {
  return refusal(413, ErrorCode.tooLarge, `Request body exceeds ${limit} bytes`, 'body_too_large');
}

export function parseBody(body: Uint8Array | string, revision: Revision, limits: BodyLimits): ParsedBody | McpRefusal {
  const size = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
  if (size > limits.maxBodyBytes) return tooLarge(limits.maxBodyBytes);
  let text: string;
  try {
    text = typeof body === 'string' ? body : utf8.decode(body);
  } catch {
    return refusal(400, ErrorCode.parseError, 'Parse error: body is not valid UTF-8', 'parse_error');
  }
  const violation = checkJsonBounds(text, limits);
  if (violation) {
    const what = violation.kind === 'depth' ? `nesting deeper than ${violation.limit}` : `a string longer than ${violation.limit} bytes`;
    return refusal(400, ErrorCode.invalidRequest, `Invalid Request: body contains ${what}`, 'json_bounds');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return refusal(400, ErrorCode.parseError, 'Parse error: body is not valid JSON', 'parse_error');
  }
  if (!Array.isArray(value)) {
    const m = classifyMessage(value);
    if (isRefusal(m)) return m;
    return checkNameCaps(m, limits.maxNameBytes) ?? { messages: [m], batch: false };
  }
  if (!revision.batchesAllowed) {
    return refusal(400, ErrorCode.invalidRequest, `Invalid Request: JSON-RPC batches are not allowed in protocol revision ${revision.value}`, 'batch_not_allowed');
  }
  if (value.length === 0) return refusal(400, ErrorCode.invalidRequest, 'Invalid Request: empty batch', 'invalid_request');
  if (value.length > limits.maxBatchSize) {
    return refusal(400, ErrorCode.invalidRequest, `Invalid Request: batch of ${value.length} exceeds the limit of ${limits.maxBatchSize}`, 'batch_too_large');
  }
  const messages: McpMessage[] = [];
  for (const element of value) {
    const m = classifyMessage(element);
    if (isRefusal(m)) return m;
    const tooLong = checkNameCaps(m, limits.maxNameBytes);
    if (tooLong) return tooLong;
    if (m.method === 'initialize') {
      return refusal(400, ErrorCode.invalidRequest, 'Invalid Request: initialize must not be part of a batch', 'invalid_request', m.id ?? null);
    }
    messages.push(m);
  }
  return { messages, batch: true };
}
