// Filters list results (tools, prompts, resources, resource templates) down to what the caller may
// use, so a list never advertises what a call would refuse (reference/mcp.md §7.3 item 4).
// `nextCursor` is kept: the upstream paginates and each page is filtered, so a page may come back
// shorter or even empty while the cursor still leads to the next one.

/** An entry of a list result as policy sees it; `name` is the tool / prompt name, URI or `uriTemplate`. */
export interface ListedItem {
  kind: 'tool' | 'prompt' | 'resource' | 'resourceTemplate';
  name: string;
}

export type Visibility = (item: ListedItem) => boolean;

/** The JSON-RPC id of the list request; `null` means "every response in the body" (id unknown). */
export type ListRequestId = string | number | null;

const LISTS: Readonly<Record<string, { field: string; kind: ListedItem['kind']; key: string }>> = {
  'tools/list': { field: 'tools', kind: 'tool', key: 'name' },
  'prompts/list': { field: 'prompts', kind: 'prompt', key: 'name' },
  'resources/list': { field: 'resources', kind: 'resource', key: 'uri' },
  'resources/templates/list': { field: 'resourceTemplates', kind: 'resourceTemplate', key: 'uriTemplate' },
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isFilteredList(method: string): boolean {
  return LISTS[method] !== undefined;
}

/** Filters one JSON-RPC response carrying a list result; anything else comes back unchanged. */
export function filterListResult(method: string, message: unknown, visible: Visibility): { changed: boolean; message: unknown } {
  const list = LISTS[method];
  if (!list || !isObject(message) || !isObject(message.result)) return { changed: false, message };
  let result = message.result;
  let changed = false;
  const items = result[list.field];
  if (Array.isArray(items)) {
    // An entry without its key cannot be judged, so it is dropped rather than shown.
    const kept = items.filter((item) => isObject(item) && typeof item[list.key] === 'string' && visible({ kind: list.kind, name: item[list.key] as string }));
    if (kept.length !== items.length) {
      result = { ...result, [list.field]: kept };
      changed = true;
    }
  }
  // 2026-07-28 cacheable lists: a per-caller result must not be shared across authorization contexts
  // (reference/mcp.md §4.4), even when this caller happened to see everything.
  if (result.cacheScope === 'public') {
    result = { ...result, cacheScope: 'private' };
    changed = true;
  }
  return changed ? { changed, message: { ...message, result } } : { changed, message };
}

function answers(message: unknown, requestId: ListRequestId): boolean {
  return isObject(message) && 'result' in message && (requestId === null || message.id === requestId);
}

/** Filters the response to `requestId` in a parsed body: one response or a (2025-03-26) batch of them. */
export function filterParsedBody(parsed: unknown, method: string, requestId: ListRequestId, visible: Visibility): { changed: boolean; message: unknown } {
  if (Array.isArray(parsed)) {
    let changed = false;
    const out = parsed.map((m) => {
      if (!answers(m, requestId)) return m;
      const r = filterListResult(method, m, visible);
      changed ||= r.changed;
      return r.message;
    });
    return { changed, message: changed ? out : parsed };
  }
  return answers(parsed, requestId) ? filterListResult(method, parsed, visible) : { changed: false, message: parsed };
}

const utf8 = new TextDecoder();
const encoder = new TextEncoder();

/** An `application/json` body: the filtered body, or `undefined` when nothing changed (or it is not JSON). */
export function filterJsonBody(body: Uint8Array, method: string, requestId: ListRequestId, visible: Visibility): Uint8Array | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(body));
  } catch {
    return undefined; // not JSON: nothing the client could read as a list either
  }
  const r = filterParsedBody(parsed, method, requestId, visible);
  return r.changed ? encoder.encode(JSON.stringify(r.message)) : undefined;
}
