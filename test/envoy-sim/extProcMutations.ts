// ext_proc header mutations: raw_value only, remove-then-set, HeaderMutationRules (mutation_utils.cc,
// mutation_rules.cc; reference/envoy.md §1.6-1.7).
import type { HeaderMutation } from '../../src/envoy/messages.js';
import type { HeaderList } from './headerList.js';
import type { ExtProcOptions } from './options.js';

export type MutationResult = { ok: true } | { ok: false; details: string };

const ROUTING_HEADERS = new Set(['host', ':authority', ':method', ':scheme']);

type Rules = NonNullable<ExtProcOptions['mutationRules']>;

function allowed(rules: Rules, name: string, value: string | undefined): boolean {
  if (ROUTING_HEADERS.has(name) && !rules.allowAllRouting) return false;
  if (name.startsWith('x-envoy-') && !rules.allowEnvoy) return false;
  if (value !== undefined) {
    if (name === ':status' && !(/^\d{3}$/.test(value) && Number(value) >= 200)) return false;
    if ((name === ':authority' || name === 'host') && !/^[^\s/?#@]+$/.test(value)) return false;
  }
  return true;
}

/**
 * Applies a HeaderMutation in place. Disallowed changes are dropped (and listed in `rejected`) unless
 * disallowIsError; invalid mutations (value and raw_value both set) always fail.
 */
export function applyMutation(target: HeaderList, m: HeaderMutation | undefined, rules: Rules, rejected: string[]): MutationResult {
  if (!m) return { ok: true };
  // Validate the whole mutation first: an invalid one is rejected as a whole (local reply 500).
  for (const o of m.set_headers ?? []) {
    const hasValue = (o.header?.value ?? '') !== '';
    const hasRaw = (o.header?.raw_value?.length ?? 0) > 0;
    if (hasValue && hasRaw) return { ok: false, details: 'ext_proc_error_invalid_mutation' };
    if (!o.header?.key) return { ok: false, details: 'ext_proc_error_invalid_mutation' };
  }
  const reject = (what: string): MutationResult => {
    rejected.push(what);
    return rules.disallowIsError ? { ok: false, details: 'ext_proc_error_disallowed_mutation' } : { ok: true };
  };
  for (const name of m.remove_headers ?? []) {
    const k = name.toLowerCase();
    // host and pseudo-headers are never removable, whatever the rules say.
    if (k.startsWith(':') || k === 'host' || !allowed(rules, k, undefined)) {
      const r = reject(`remove:${k}`);
      if (!r.ok) return r;
      continue;
    }
    target.remove(k);
  }
  for (const o of m.set_headers ?? []) {
    const k = o.header.key.toLowerCase();
    // send_header_raw_value: only raw_value is read; a value-only header becomes empty (envoy#31555).
    const v = Buffer.from(o.header.raw_value ?? Buffer.alloc(0)).toString('utf8');
    const append = o.append?.value === true; // append_action is ignored by mainline ext_proc
    if (!allowed(rules, k, v) || (append && k.startsWith(':'))) {
      const r = reject(`set:${k}`);
      if (!r.ok) return r;
      continue;
    }
    if (append) target.add(k, v);
    else target.set(k, v);
  }
  return { ok: true };
}
