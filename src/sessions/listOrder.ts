// Listing order and cursors. Each registry pages with an opaque cursor naming the position of the last
// item returned, which survives inserts and deletes, unlike an offset. The memory registry lists in
// (server, id) order; the Redis registry in (server, group, bucket, id) order (redisKeys.ts), so a
// page reads whole small buckets instead of one large sorted index.
import { SessionInputError } from './validate.js';

/**
 * "server id": the space sorts below every id character, so plain string order is (server, id)
 * order, and one server's entries are the contiguous range [server + " ", server + "!").
 */
export function listPosition(server: string, id: string): string {
  return `${server} ${id}`;
}

export function encodeCursor(position: string): string {
  return Buffer.from(position, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const position = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^[\x21-\x7e]+ [\x21-\x7e]+$/.test(position)) throw new SessionInputError('invalid cursor');
  return position;
}

/**
 * The Redis registry's cursor: the server, group and list bucket the last page stopped in, and the
 * last id it returned there (none: the whole bucket was read).
 */
export interface BucketCursor {
  server: string;
  group: number;
  bucket: number;
  id?: string;
}

export function encodeBucketCursor(c: BucketCursor): string {
  return encodeCursor(`${c.server} ${c.group} ${c.bucket}${c.id === undefined ? '' : ` ${c.id}`}`);
}

export function decodeBucketCursor(cursor: string): BucketCursor {
  const m = /^([\x21-\x7e]+) (\d{1,9}) (\d{1,9})(?: ([\x21-\x7e]+))?$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw new SessionInputError('invalid cursor');
  return { server: m[1]!, group: Number(m[2]), bucket: Number(m[3]), ...(m[4] === undefined ? {} : { id: m[4] }) };
}
