// Child entry: the real mcpgw (GatewayService, as `mcpgw serve` runs it) with the config in
// MCPGW_BENCH_CONFIG (JSON). Logs go to stdout, which the bench discards.
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../src/config/index.js';
import { GatewayService } from '../../src/server/index.js';
import { createLogger } from '../../src/telemetry/index.js';

const file = process.env.MCPGW_BENCH_CONFIG_FILE;
const parsed = parseConfig(file ? readFileSync(file, 'utf8') : (process.env.MCPGW_BENCH_CONFIG ?? '{}'));
if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
const service = new GatewayService(parsed.config, createLogger(parsed.config.log.level));
const addresses = await service.serve();

process.on('message', (m: { stop?: boolean; id?: number; memory?: boolean; cpu?: boolean }) => {
  if (m.stop) {
    void service.close().then(() => process.exit(0));
    return;
  }
  if (m.memory) process.send?.({ id: m.id, result: process.memoryUsage() });
  if (m.cpu) process.send?.({ id: m.id, result: process.cpuUsage() });
});
process.send?.({ ready: true, grpc: addresses.grpc, http: addresses.http });
