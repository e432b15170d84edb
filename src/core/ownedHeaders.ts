// Headers mcpgw owns on the upstream request: clients can never set them (reference/envoy.md §1.7).
import { decodeMcpHeaderValue } from '../mcp/index.js';
import type { HeaderToSet } from './header.js';

export const MCP_METHOD_HEADER = 'x-mcp-method';
export const MCP_NAME_HEADER = 'x-mcp-name';
/** The verified identity, for upstreams that want it: never a client's copy. */
export const MCP_PRINCIPAL_HEADER = 'x-mcp-principal';
export const MCP_TENANT_HEADER = 'x-mcp-tenant';
export const MCP_SCOPES_HEADER = 'x-mcp-scopes';

export const OWNED_HEADERS: readonly string[] = [MCP_METHOD_HEADER, MCP_NAME_HEADER, MCP_PRINCIPAL_HEADER, MCP_TENANT_HEADER, MCP_SCOPES_HEADER];

// Visible ASCII and spaces only; anything else is sent in MCP's own `=?base64?…?=` form, and so is
// a value that merely looks encoded (a tool named "=?base64?…?=" must not reach upstreams decoded).
const HEADER_SAFE = /^[\x20-\x7e]*$/;

export function headerSafe(value: string): string {
  const plain = HEADER_SAFE.test(value) && value.trim() === value && decodeMcpHeaderValue(value) === value;
  return plain ? value : `=?base64?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

/** Sets what is known and removes every client copy of what is not. */
export function ownedHeaderMutation(values: Partial<Record<string, string>>): { setHeaders: HeaderToSet[]; removeHeaders: string[] } {
  const setHeaders: HeaderToSet[] = [];
  const removeHeaders: string[] = [];
  for (const name of OWNED_HEADERS) {
    const v = values[name];
    if (v === undefined) removeHeaders.push(name);
    else setHeaders.push({ name, value: headerSafe(v) });
  }
  return { setHeaders, removeHeaders };
}
