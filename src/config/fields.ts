// Leaf field schemas with the checks and messages a config author needs to fix a typo.
import { z } from 'zod';
import { parseListenAddress } from './listen.js';
import { describeValue } from './problems.js';

const LABEL = '[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
// Upper case is accepted and lower-cased: hosts are compared lower-case.
const HOST_PATTERN = new RegExp(`^(\\*\\.)?${LABEL}(\\.${LABEL})*$`);
const SERVER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function hostProblem(input: unknown): string {
  const s = String(input);
  if (s === '') return 'must not be empty';
  if (s.includes(':')) return 'must not include a port (ports are ignored when matching)';
  if (s.includes('*')) return 'a wildcard must be a leading "*." (e.g. "*.example.com")';
  if (s.length > 253) return 'must be at most 253 characters';
  return `must be a host name like "mcp.example.com" or a wildcard like "*.example.com", got ${JSON.stringify(s)}`;
}

export const listenAddress = z
  .string()
  .refine((s) => parseListenAddress(s) !== undefined, {
    error: (iss) =>
      `must be host:port with port 0..65535 (IPv6 as [::]:9001), got ${JSON.stringify(iss.input)}`,
  });

export const hostPattern = z
  .string()
  .max(253)
  .toLowerCase()
  .regex(HOST_PATTERN, { error: (iss) => hostProblem(iss.input) })
  .describe('Exact host name, or "*." followed by a domain to match any subdomain of it. Compared lower-case; the request port is ignored.');

export const serverName = z
  .string()
  .max(63, { error: 'must be at most 63 characters' })
  .regex(SERVER_NAME, {
    error: (iss) =>
      `must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending with a letter or digit, got ${JSON.stringify(iss.input)}`,
  })
  .describe('Unique server name, DNS-1123 label style (lower-case letters, digits, "-"; at most 63 characters). Appears in logs and metrics.');

export const pathPrefix = z
  .string()
  .regex(/^\/[^\s?#]*$/, {
    error: (iss) => `must start with "/" and contain no spaces, "?" or "#", got ${JSON.stringify(iss.input)}`,
  });

export const toolGlob = z
  .string()
  .min(1, { error: 'must not be empty' })
  .describe('Tool name pattern: "*" matches any run of characters, "?" exactly one.');

/** An integer in [min, max]. Its own type message: zod reports a string here as "expected number". */
export function integer(min: number, max: number) {
  return z
    .int({ error: (iss) => (iss.code === 'invalid_type' && iss.input !== undefined ? `expected an integer, got ${describeValue(iss.input)}` : undefined) })
    .min(min)
    .max(max);
}
