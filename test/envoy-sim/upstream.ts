// The router's upstream request over HTTP/1.1 (node:http); connection failures before response
// headers become Envoy's 503 local reply.
import http from 'node:http';
import { HeaderList, toNodeHeaders } from './headerList.js';

export interface UpstreamCall {
  request: http.ClientRequest;
  response: Promise<http.IncomingMessage | Error>;
}

export function openUpstream(hostKey: string, headers: HeaderList, agent: http.Agent): UpstreamCall {
  const i = hostKey.lastIndexOf(':');
  const host = hostKey.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(hostKey.slice(i + 1));
  // :authority goes upstream as Host (HTTP/1.1 codec).
  const flat = ['host', headers.first(':authority') ?? hostKey, ...toNodeHeaders(headers)];
  const request = http.request({ host, port, method: headers.first(':method'), path: headers.first(':path'), headers: flat, agent, setHost: false });
  const response = new Promise<http.IncomingMessage | Error>((resolve) => {
    request.once('response', resolve);
    request.once('error', resolve);
  });
  return { request, response };
}

/** Upstream response head as Envoy's header map: `:status` first, lower-case names. */
export function responseHeaders(res: http.IncomingMessage): HeaderList {
  const h = new HeaderList([[':status', String(res.statusCode ?? 502)]]);
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) h.add(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
  return h;
}

/** HTTP/1 framing says the response has no body (HEAD, 1xx/204/304, content-length: 0). */
export function responseIsBodyless(method: string, res: http.IncomingMessage): boolean {
  const s = res.statusCode ?? 0;
  return method === 'HEAD' || s === 204 || s === 304 || (s >= 100 && s < 200) || res.headers['content-length'] === '0';
}
