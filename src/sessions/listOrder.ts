// Both registries list in the same order, (server, id), and page with the same opaque cursor: the
// position of the last item returned. A position survives inserts and deletes, unlike an offset.
import { SessionInputError } from './validate.js';

/**
 * "server id": the space sorts below every id character, so plain string order is (server, id)
 * order, and one server's entries are the contiguous range [server + " ", server + "!").
 */
export function listPosition(server: string, id: string): string {
  return `${server} ${id}`;
}

export function splitListPosition(position: string): { server: string; id: string } {
  const i = position.indexOf(' ');
  return { server: position.slice(0, i), id: position.slice(i + 1) };
}

export function encodeCursor(position: string): string {
  return Buffer.from(position, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const position = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^[\x21-\x7e]+ [\x21-\x7e]+$/.test(position)) throw new SessionInputError('invalid cursor');
  return position;
}
