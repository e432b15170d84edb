// The load generator (a child process, pinned to its own CPU when taskset is available): runs one
// job at a time from the parent over IPC, a fixed number of requests in flight, and answers with
// the latency histogram summary.
import { newHistogram, recordNs, summarize, type LatencySummary } from '../histogram.js';
import { workload, type WorkloadName } from '../workloads.js';
import { envoyClients } from './client.js';

export interface LoadJob {
  target: string;
  workload: WorkloadName;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** Stops early after this many measured requests. */
  maxRequests?: number;
  channels: number;
  /** check-token: the token pool file. */
  tokensFile?: string;
}

export interface LoadResult extends LatencySummary {
  errors: number;
  firstError?: string;
  elapsedMs: number;
  /** Completed requests per second over the measured window. */
  rps: number;
  /** Every request completed, warm-up and drain included (what the server's CPU time was spent on). */
  completed: number;
}

export async function runLoad(job: LoadJob): Promise<LoadResult> {
  const clients = envoyClients(job.target, job.channels);
  const w = workload(job.workload, job.tokensFile ? { tokensFile: job.tokensFile } : {});
  try {
    await w.prepare(clients);
    const h = newHistogram();
    let errors = 0;
    let firstError: string | undefined;
    let measuring = false;
    let measured = 0;
    let completed = 0;
    /** Measured requests started: on a busy machine the window must not close before every worker got one in. */
    let started = 0;
    let stop = false;
    const worker = async () => {
      while (!stop) {
        // A request counts if it started inside the window, even if it ends after it closed.
        const counted = measuring;
        if (counted) started++;
        const t0 = process.hrtime.bigint();
        try {
          await w.op(clients);
        } catch (e) {
          if (counted) errors++;
          firstError ??= (e as Error).message;
          continue;
        }
        completed++;
        if (!counted) continue;
        recordNs(h, Number(process.hrtime.bigint() - t0));
        if (job.maxRequests !== undefined && ++measured >= job.maxRequests) stop = true;
      }
    };
    const workers = Array.from({ length: job.concurrency }, worker);
    await new Promise((r) => setTimeout(r, job.warmupMs));
    measuring = true;
    const t0 = process.hrtime.bigint();
    const deadline = Date.now() + job.durationMs;
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (stop || (Date.now() >= deadline && started >= job.concurrency)) {
          clearInterval(poll);
          resolve();
        }
      }, 5);
    });
    stop = true;
    await Promise.all(workers);
    const elapsedMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const s = summarize(h);
    return { ...s, errors, ...(firstError ? { firstError } : {}), elapsedMs: Math.round(elapsedMs), rps: Math.round((s.count / elapsedMs) * 1000), completed };
  } finally {
    clients.close();
  }
}

if (process.send) {
  process.on('message', (m: { id: number; job?: LoadJob; stop?: boolean }) => {
    if (m.stop) return process.exit(0);
    if (!m.job) return;
    runLoad(m.job).then(
      (result) => process.send?.({ id: m.id, result }),
      (err: Error) => process.send?.({ id: m.id, error: err.message }),
    );
  });
  process.send({ ready: true });
}
