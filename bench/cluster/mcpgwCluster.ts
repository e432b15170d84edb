// Prototype (bench only): mcpgw as a node:cluster of MCPGW_BENCH_WORKERS workers sharing the gRPC
// port. The primary accepts connections and hands them to workers round robin; each worker is a full
// GatewayService with its own memory (sessions, metrics, pod tables).
import cluster, { type Worker } from 'node:cluster';
import { readFileSync } from 'node:fs';

if (cluster.isPrimary) {
  const n = Number(process.env.MCPGW_BENCH_WORKERS ?? 2);
  const workers: Worker[] = [];
  const ready = await new Promise<string>((resolve, reject) => {
    const seen = new Set<string>();
    let count = 0;
    for (let i = 0; i < n; i++) {
      const w = cluster.fork();
      workers.push(w);
      w.on('exit', (code) => reject(new Error(`worker exited with ${code}`)));
      w.on('message', (m: { grpc?: string }) => {
        if (!m.grpc) return;
        seen.add(m.grpc);
        if (++count === n) (seen.size === 1 ? resolve(m.grpc) : reject(new Error(`workers bound ${[...seen].join(', ')}`)));
      });
    }
  });
  const rss = (pid: number | undefined) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  process.on('message', (m: { stop?: boolean; id?: number; memory?: boolean }) => {
    if (m.stop) {
      for (const w of workers) w.removeAllListeners('exit'), w.kill();
      setTimeout(() => process.exit(0), 200);
      return;
    }
    if (m.memory) process.send?.({ id: m.id, result: { rss: rss(process.pid) + workers.reduce((sum, w) => sum + rss(w.process.pid), 0) } });
  });
  process.send?.({ ready: true, grpc: ready, workers: n });
} else {
  // The compiled build, as the single-process server runs it (bench/build.ts).
  const { serveCompiled } = (await import(new URL('../proc/serveCompiled.mjs', import.meta.url).href)) as { serveCompiled(config: string): Promise<{ addresses: { grpc: string } }> };
  const { addresses } = await serveCompiled(process.env.MCPGW_BENCH_CONFIG ?? '{}');
  process.send?.({ grpc: addresses.grpc });
}
