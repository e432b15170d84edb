// Envoy's header map as an ordered list of (lower-case name, value) pairs, pseudo-headers included.
import type { HeaderMap } from '../../src/envoy/messages.js';

export class HeaderList {
  constructor(public entries: Array<[string, string]> = []) {}

  clone(): HeaderList {
    return new HeaderList(this.entries.map(([k, v]) => [k, v]));
  }

  get(name: string): string[] {
    const n = name.toLowerCase();
    return this.entries.filter(([k]) => k === n).map(([, v]) => v);
  }

  first(name: string): string | undefined {
    return this.get(name)[0];
  }

  has(name: string): boolean {
    return this.get(name).length > 0;
  }

  /** setCopy: replaces every entry of the name (keeping the first one's position) or adds one. */
  set(name: string, value: string): void {
    const n = name.toLowerCase();
    const i = this.entries.findIndex(([k]) => k === n);
    if (i < 0) {
      this.add(n, value);
      return;
    }
    this.entries = this.entries.filter(([k], j) => k !== n || j === i);
    this.entries[i] = [n, value];
  }

  /** addCopy: another entry of the same name; pseudo-headers stay in front. */
  add(name: string, value: string): void {
    const n = name.toLowerCase();
    if (n.startsWith(':')) {
      const lastPseudo = this.entries.reduce((acc, [k], j) => (k.startsWith(':') ? j : acc), -1);
      this.entries.splice(lastPseudo + 1, 0, [n, value]);
    } else this.entries.push([n, value]);
  }

  /** appendCopy: comma-joins onto the existing value (ext_authz append: true), or adds. */
  appendJoined(name: string, value: string): void {
    const existing = this.get(name);
    if (existing.length === 0) this.add(name, value);
    else this.set(name, [...existing, value].join(','));
  }

  remove(name: string): void {
    const n = name.toLowerCase();
    this.entries = this.entries.filter(([k]) => k !== n);
  }

  /** ext_authz CheckRequest map: repeated headers merged with ','. */
  toMergedMap(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of this.entries) out[k] = k in out ? `${out[k]},${v}` : v;
    return out;
  }

  /** ext_proc HeaderMap: values in raw_value (send_header_raw_value, reference/envoy.md §1.6). */
  toProto(): HeaderMap {
    return { headers: this.entries.map(([key, v]) => ({ key, raw_value: Buffer.from(v, 'utf8') })) };
  }

  /** Regular (non-pseudo) headers as a record, repeated names as arrays. */
  toRecord(): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of this.entries) {
      if (k.startsWith(':')) continue;
      const prev = out[k];
      out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    return out;
  }
}

/** Connection-specific headers a proxy never forwards (RFC 9110 §7.6.1). */
export const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

/** Flat [name, value, ...] list for node's writeHead / http.request, without pseudo and hop-by-hop headers. */
export function toNodeHeaders(h: HeaderList, extra: Array<[string, string]> = []): string[] {
  const flat: string[] = [];
  for (const [k, v] of [...h.entries, ...extra]) {
    if (k.startsWith(':') || HOP_BY_HOP.has(k)) continue;
    flat.push(k, v);
  }
  return flat;
}
