// Anomaly flags: per principal, tools/call attempts per minute against a moving baseline (EWMA of
// past minutes). A minute above factor × max(baseline, minBaseline) is flagged; with throttle on,
// the principal is held to the baseline for the rest of that minute and the whole next one.
// Attempts count (refused ones too): the point is to see what the caller tries, not what it gets.
import type { AnomalyOptions } from './types.js';

export interface AnomalyParams {
  factor: number;
  minBaseline: number;
  alpha: number;
  throttle: boolean;
}

/**
 * m: current minute (epoch minutes); c: attempts in it; b: baseline (-1 until a first normal minute
 * has been seen); f: 1 when the previous minute was flagged.
 */
export interface AnomalyState {
  m: number;
  c: number;
  b: number;
  f: number;
}

/** Principal state outlives quiet spells of this length; after that the baseline starts over. */
export const ANOMALY_STATE_TTL_MS = 2 * 86_400_000;
const DEFAULT_BASELINE_MINUTES = 60;

export function anomalyParams(o: AnomalyOptions): AnomalyParams {
  return { factor: o.factor, minBaseline: o.minBaseline, alpha: 2 / ((o.baselineMinutes ?? DEFAULT_BASELINE_MINUTES) + 1), throttle: o.throttle };
}

export interface AnomalyStep {
  next: AnomalyState;
  flagged: boolean;
  newlyFlagged: boolean;
  throttled: boolean;
  baseline: number;
  retryMs: number;
}

/** One tools/call attempt at nowMs. Mirrored by the Lua script. */
export function anomalyStep(s: AnomalyState | undefined, nowMs: number, p: AnomalyParams): AnomalyStep {
  const minute = Math.floor(nowMs / 60_000);
  let { m, c, b, f } = s ?? { m: minute, c: 0, b: -1, f: 0 };
  if (minute > m) {
    const closingFlagged = c > p.factor * Math.max(b, p.minBaseline);
    // A flagged minute is not folded into the baseline, or a sustained burst would become normal.
    if (!closingFlagged) b = b < 0 ? c : b + p.alpha * (c - b);
    const quietMinutes = minute - m - 1;
    if (quietMinutes > 0 && b > 0) b = b * Math.pow(1 - p.alpha, quietMinutes);
    f = closingFlagged && quietMinutes === 0 ? 1 : 0;
    m = minute;
    c = 0;
  }
  c += 1;
  const ref = Math.max(b, p.minBaseline);
  const threshold = p.factor * ref;
  const flagged = c > threshold;
  const throttled = p.throttle && (flagged || f === 1) && c > ref;
  return {
    next: { m, c, b, f },
    flagged,
    newlyFlagged: flagged && c - 1 <= threshold,
    throttled,
    baseline: Math.max(b, 0),
    retryMs: (minute + 1) * 60_000 - nowMs,
  };
}
