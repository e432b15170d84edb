// Envoy's host key for an endpoint: the upstream address as Envoy prints it (reference/envoy.md §4.2).
import { isIPv4, isIPv6 } from 'node:net';

/** An IPv4 or IPv6 address Envoy can hold as an endpoint: pod addresses never carry a zone ("%eth0"). */
export function isEndpointAddress(ip: string): boolean {
  return isIPv4(ip) || (isIPv6(ip) && !ip.includes('%'));
}

/** "10.1.2.3:8080" or "[2001:db8::1]:8080"; IPv6 in the compressed lowercase form Envoy prints. */
export function hostKey(ip: string, port: number): string {
  if (!isEndpointAddress(ip)) throw new Error(`not an IP address: ${JSON.stringify(ip)}`);
  return isIPv4(ip) ? `${ip}:${port}` : `[${canonicalIPv6(ip)}]:${port}`;
}

/** Parses "ip:port" or "[ipv6]:port" into a host key, so "[2001:DB8:0::1]:80" keys like Envoy's "[2001:db8::1]:80". */
export function parseHostKey(address: string): string {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535) throw new Error(`endpoint must be "ip:port" or "[ipv6]:port": ${JSON.stringify(address)}`);
  const ip = m[1] ?? m[2]!;
  // IPv6 only in brackets, IPv4 only without.
  const valid = m[1] !== undefined ? isIPv6(ip) && isEndpointAddress(ip) : isIPv4(ip);
  if (!valid) throw new Error(`endpoint must be an IP address and port: ${JSON.stringify(address)}`);
  return hostKey(ip, port);
}

// WHATWG URL serialises IPv6 hosts per RFC 5952 (lowercase, longest zero run compressed), as inet_ntop does.
function canonicalIPv6(ip: string): string {
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}
