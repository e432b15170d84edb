// Classifies one JSON-RPC 2.0 value and pulls out what policy keys on (reference/mcp.md §5).
import { ErrorCode, refusal, type JsonRpcId, type McpRefusal } from './errors.js';

export type MessageKind = 'request' | 'notification' | 'response';
/** What `name` holds: a tool, prompt, resource URI or task id. */
export type NameKind = 'tool' | 'prompt' | 'resource' | 'task';

export interface McpMessage {
  kind: MessageKind;
  id?: JsonRpcId;
  method?: string;
  name?: string;
  nameKind?: NameKind;
  params?: Record<string, unknown>;
}

/** Where each named method carries its name; these methods cannot be authorized without it. */
const NAMED: Record<string, { field: string; kind: NameKind }> = {
  'tools/call': { field: 'name', kind: 'tool' },
  'prompts/get': { field: 'name', kind: 'prompt' },
  'resources/read': { field: 'uri', kind: 'resource' },
  'tasks/get': { field: 'taskId', kind: 'task' },
  'tasks/update': { field: 'taskId', kind: 'task' },
  'tasks/cancel': { field: 'taskId', kind: 'task' },
};

export function nameKindOf(method: string): NameKind | undefined {
  return NAMED[method]?.kind;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function readableId(v: Record<string, unknown>): JsonRpcId {
  const id = v.id;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

export function classifyMessage(v: unknown): McpMessage | McpRefusal {
  if (!isObject(v) || v.jsonrpc !== '2.0') {
    return refusal(400, ErrorCode.invalidRequest, 'Invalid Request: not a JSON-RPC 2.0 object', 'invalid_request', isObject(v) ? readableId(v) : null);
  }
  const id = readableId(v);
  const hasId = 'id' in v;
  if (hasId && v.id !== null && id === null) {
    return refusal(400, ErrorCode.invalidRequest, 'Invalid Request: id must be a string or a number', 'invalid_request');
  }
  if (typeof v.method === 'string') {
    if (hasId && v.id === null) return refusal(400, ErrorCode.invalidRequest, 'Invalid Request: a request id must not be null', 'invalid_request');
    if ('params' in v && v.params !== undefined && !isObject(v.params) && !Array.isArray(v.params)) {
      return refusal(400, ErrorCode.invalidRequest, 'Invalid Request: params must be an object', 'invalid_request', id);
    }
    const params = isObject(v.params) ? v.params : undefined;
    const message: McpMessage = hasId ? { kind: 'request', id, method: v.method } : { kind: 'notification', method: v.method };
    if (params) message.params = params;
    const named = NAMED[v.method];
    if (named) {
      const name = params?.[named.field];
      if (typeof name !== 'string' || name.length === 0) {
        return refusal(400, ErrorCode.invalidParams, `Invalid params: ${v.method} needs params.${named.field}`, 'invalid_params', id);
      }
      message.name = name;
      message.nameKind = named.kind;
    }
    return message;
  }
  if (hasId && ('result' in v || 'error' in v)) return { kind: 'response', id };
  return refusal(400, ErrorCode.invalidRequest, 'Invalid Request: neither a request, a notification nor a response', 'invalid_request', id);
}
