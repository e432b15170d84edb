// Envoy's local replies (sendLocalReply): status, details, optional text body, extra headers.
import { HeaderList } from './headerList.js';

export interface LocalReply {
  status: number;
  details: string;
  headers: HeaderList;
  body: Buffer;
}

/** A local reply as Envoy's filter manager builds it: text/plain when there is a body. */
export function localReply(status: number, details: string, body = '', headers = new HeaderList()): LocalReply {
  const b = Buffer.from(body, 'utf8');
  if (b.length > 0 && !headers.has('content-type')) headers.set('content-type', 'text/plain');
  return { status, details, headers, body: b };
}
