// Child entry, plain JavaScript as the image runs it: mcpgw from the compiled tree (serveCompiled.mjs)
// with the config in MCPGW_BENCH_CONFIG (JSON) or the file MCPGW_BENCH_CONFIG_FILE. Logs go to
// stdout, which the bench discards.
import { readFileSync } from 'node:fs';
import { serveCompiled } from './serveCompiled.mjs';

const file = process.env.MCPGW_BENCH_CONFIG_FILE;
const { service, addresses } = await serveCompiled(file ? readFileSync(file, 'utf8') : (process.env.MCPGW_BENCH_CONFIG ?? '{}'));

process.on('message', (m) => {
  if (m.stop) {
    void service.close().then(() => process.exit(0));
    return;
  }
  if (m.memory) process.send?.({ id: m.id, result: process.memoryUsage() });
  if (m.cpu) process.send?.({ id: m.id, result: process.cpuUsage() });
});
process.send?.({ ready: true, grpc: addresses.grpc, http: addresses.http });
