// Latency recording with HdrHistogram: values recorded in nanoseconds (3 significant digits),
// reported in microseconds.
import * as hdr from 'hdr-histogram-js';

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** 1 ns … 60 s at 3 significant digits. */
export function newHistogram(): hdr.Histogram {
  return hdr.build({ bitBucketSize: 64, lowestDiscernibleValue: 1, highestTrackableValue: 60e9, numberOfSignificantValueDigits: 3 });
}

export function recordNs(h: hdr.Histogram, ns: number): void {
  h.recordValue(Math.max(1, Math.min(60e9, Math.round(ns))));
}

const us = (ns: number) => Math.round(ns / 10) / 100;

/** Percentiles in µs, two decimals. */
export function summarize(h: hdr.Histogram): LatencySummary {
  return {
    count: h.totalCount,
    p50: us(h.getValueAtPercentile(50)),
    p90: us(h.getValueAtPercentile(90)),
    p99: us(h.getValueAtPercentile(99)),
    max: us(h.maxValue),
    mean: us(h.mean),
  };
}

/** Times `fn` `n` times one after another; each call recorded. */
export async function timeEach(n: number, fn: (i: number) => unknown): Promise<LatencySummary> {
  const h = newHistogram();
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    const r = fn(i);
    if (r instanceof Promise) await r;
    recordNs(h, Number(process.hrtime.bigint() - t0));
  }
  return summarize(h);
}
