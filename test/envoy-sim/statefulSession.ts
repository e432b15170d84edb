// envoy.filters.http.stateful_session with header-based session state (reference/envoy.md §5.1):
// the request's first value of the header, standard-base64-decoded, names the upstream override host;
// the response tells the client which host served when that differs from what it asked for.
import type { HeaderList } from './headerList.js';

const STANDARD_BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Envoy's Base64::decode: '' unless the input is standard-alphabet base64 whose length is a multiple
 * of 4 (padding included). URL-safe base64 or unpadded input therefore selects no host.
 */
export function envoyBase64Decode(value: string): string {
  if (value.length % 4 !== 0 || !STANDARD_BASE64.test(value)) return '';
  return Buffer.from(value, 'base64').toString('latin1');
}

/** The override address the filter reads from the request, or undefined when it reads none. */
export function requestedHost(headers: HeaderList, header: string): string | undefined {
  const first = headers.get(header)[0];
  if (first === undefined) return undefined;
  const address = envoyBase64Decode(first);
  return address === '' ? undefined : address;
}

/** Response side (StatefulSession::encodeHeaders → onUpdate): set the header unless the request already named this host. */
export function markServedHost(response: HeaderList, header: string, requested: string | undefined, served: string): void {
  if (requested === served) return;
  response.set(header, Buffer.from(served, 'latin1').toString('base64'));
}
