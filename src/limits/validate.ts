// Checks LimitsOptions before anything is compiled, so a bad limit fails start-up with every problem
// listed instead of misbehaving on the request path. The config module validates YAML too; this is
// the module's own guard for callers that build options in code.
import type { Dimension, LimitConfig, LimitsOptions, WindowLength } from './types.js';

export class LimitConfigError extends Error {
  override readonly name = 'LimitConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid limits: ${problems.join('; ')}`);
  }
}

/** The name refusals by the anomaly throttle carry. */
export const ANOMALY_LIMIT = 'anomaly';
const DIMENSIONS: readonly Dimension[] = ['tenant', 'principal', 'server', 'method', 'tool'];
const KINDS = ['rate', 'quota', 'concurrency', 'sessions', 'cost'] as const;
/** Names travel in structured-field strings and metric labels: keep them to a safe alphabet. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

const isPositiveInt = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) > 0;
const isPositive = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n > 0;

export function validateLimits(opts: LimitsOptions): void {
  const problems: string[] = [];
  if (!isPositiveInt(opts.replicas)) problems.push('replicas must be a positive integer');
  if (opts.sessionTtlSeconds !== undefined && !isPositive(opts.sessionTtlSeconds)) problems.push('sessionTtlSeconds must be positive');
  if (opts.anomaly) {
    const a = opts.anomaly;
    if (!(isPositive(a.factor) && a.factor > 1)) problems.push('anomaly.factor must be greater than 1');
    if (!(typeof a.minBaseline === 'number' && a.minBaseline >= 0)) problems.push('anomaly.minBaseline must be at least 0');
    if (a.baselineMinutes !== undefined && !isPositiveInt(a.baselineMinutes)) problems.push('anomaly.baselineMinutes must be a positive integer');
  }
  const names = new Set<string>();
  for (const [i, l] of opts.limits.entries()) {
    const at = `limits[${i}]${typeof l.name === 'string' ? ` (${l.name})` : ''}`;
    if (!NAME.test(l.name ?? '')) problems.push(`${at}: name must match ${NAME.source}`);
    else if (names.has(l.name)) problems.push(`${at}: duplicate name`);
    else if (l.name === ANOMALY_LIMIT) problems.push(`${at}: "${ANOMALY_LIMIT}" names the anomaly throttle`);
    names.add(l.name);
    problems.push(...limitProblems(l).map((p) => `${at}: ${p}`));
  }
  if (problems.length) throw new LimitConfigError(problems);
}

function limitProblems(l: LimitConfig): string[] {
  const p: string[] = [];
  if (!Array.isArray(l.per) || l.per.some((d) => !DIMENSIONS.includes(d))) p.push(`per must list only ${DIMENSIONS.join(', ')}`);
  else if (new Set(l.per).size !== l.per.length) p.push('per lists a dimension twice');
  const kinds = KINDS.filter((k) => l[k] !== undefined);
  if (kinds.length !== 1) return [...p, `needs exactly one of ${KINDS.join(', ')} (has ${kinds.length ? kinds.join(', ') : 'none'})`];
  if (l.whenUnavailable !== undefined && l.whenUnavailable !== 'fail-open' && l.whenUnavailable !== 'fail-closed') {
    p.push('whenUnavailable must be fail-open or fail-closed');
  }
  if (l.rate) {
    if (!isPositiveInt(l.rate.requests)) p.push('rate.requests must be a positive integer');
    if (!isPositive(l.rate.perSeconds)) p.push('rate.perSeconds must be positive');
    if (l.rate.burst !== undefined && !isPositiveInt(l.rate.burst)) p.push('rate.burst must be a positive integer');
  }
  if (l.quota) {
    if (!isPositiveInt(l.quota.requests)) p.push('quota.requests must be a positive integer');
    if (windowSeconds(l.quota.window) === undefined) p.push('quota.window must be second, minute, hour, day or {seconds: positive integer}');
  }
  if (l.concurrency) {
    if (!isPositiveInt(l.concurrency.max)) p.push('concurrency.max must be a positive integer');
    if (l.concurrency.leaseSeconds !== undefined && !isPositive(l.concurrency.leaseSeconds)) p.push('concurrency.leaseSeconds must be positive');
  }
  if (l.sessions) {
    if (!isPositiveInt(l.sessions.max)) p.push('sessions.max must be a positive integer');
    if (l.per?.some((d) => d === 'method' || d === 'tool')) p.push('sessions cannot be counted per method or tool');
  }
  if (l.cost) {
    if (!isPositiveInt(l.cost.budget)) p.push('cost.budget must be a positive integer');
    if (windowSeconds(l.cost.window) === undefined) p.push('cost.window must be second, minute, hour, day or {seconds: positive integer}');
    const costs = Object.values(l.cost.costs ?? {});
    if (l.cost.costs === undefined || costs.some((c) => !(Number.isSafeInteger(c) && c >= 0))) p.push('cost.costs must map tool globs to non-negative integers');
    if (l.cost.defaultCost !== undefined && !(Number.isSafeInteger(l.cost.defaultCost) && l.cost.defaultCost >= 0)) {
      p.push('cost.defaultCost must be a non-negative integer');
    }
  }
  return p;
}

/** Window length in seconds, or undefined when malformed. */
export function windowSeconds(w: WindowLength | undefined): number | undefined {
  switch (w) {
    case 'second':
      return 1;
    case 'minute':
      return 60;
    case 'hour':
      return 3600;
    case 'day':
      return 86_400;
    default:
      return typeof w === 'object' && w !== null && isPositiveInt(w.seconds) ? w.seconds : undefined;
  }
}
