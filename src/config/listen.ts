// Listen addresses: "host:port", with IPv6 hosts in brackets ("[::]:9001").
// Owns only the syntax; binding is the server module's business.
import { isIPv4, isIPv6 } from 'node:net';

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * Parses "host:port" (IPv4, host name, or "[IPv6]"). Port 0..65535; 0 lets the OS choose (tests).
 * The returned host has no brackets ("::"), as node:net expects.
 */
export function parseListenAddress(s: string): { host: string; port: number } | undefined {
  const colon = s.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const rawHost = s.slice(0, colon);
  const rawPort = s.slice(colon + 1);
  // Digits only: Number() would also accept " 9001", "0x23", "1e3".
  if (!/^\d{1,5}$/.test(rawPort)) return undefined;
  const port = Number(rawPort);
  if (port > 65535) return undefined;
  if (rawHost.startsWith('[') && rawHost.endsWith(']')) {
    const host = rawHost.slice(1, -1);
    return isIPv6(host) ? { host, port } : undefined;
  }
  // An unbracketed IPv6 host is ambiguous ("::1:9001"), so it is refused.
  if (isIPv4(rawHost) || (HOSTNAME.test(rawHost) && !/^[\d.]+$/.test(rawHost))) return { host: rawHost, port };
  return undefined;
}
