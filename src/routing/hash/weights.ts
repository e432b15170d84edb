// normalizeHostWeights from Envoy's thread-aware LB: weight / Σweights (locality factor 1.0).
export interface HashHost {
  /** Envoy's host key: "ip:port" ("[v6]:port"), or hostname / envoy.lb hash_key when so configured. */
  key: string;
  /** EDS load_balancing_weight; defaults to 1. */
  weight?: number;
}

export interface NormalizedHost {
  key: string;
  w: number;
}

export function normalizeWeights(hosts: readonly HashHost[]): { entries: NormalizedHost[]; min: number; max: number } {
  let sum = 0;
  for (const h of hosts) sum += hostWeight(h);
  let min = 1;
  let max = 0;
  const entries = hosts.map((h) => {
    const w = hostWeight(h) / sum;
    min = Math.min(min, w);
    max = Math.max(max, w);
    return { key: h.key, w };
  });
  return { entries, min, max };
}

function hostWeight(h: HashHost): number {
  const w = h.weight ?? 1;
  if (!Number.isInteger(w) || w < 1) throw new Error(`host ${h.key}: weight must be a positive integer, got ${w}`);
  return w;
}
