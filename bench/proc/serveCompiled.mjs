// Starts mcpgw (GatewayService, as `mcpgw serve` runs it) from the compiled tree in MCPGW_BENCH_DIST
// (bench/build.ts) with the given config text (JSON). Shared by the server entries of the bench.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** @param {string} configText @returns {Promise<{ service: { close(): Promise<void> }, addresses: { grpc: string, http: string } }>} */
export async function serveCompiled(configText) {
  const dist = process.env.MCPGW_BENCH_DIST;
  if (!dist) throw new Error('MCPGW_BENCH_DIST is not set');
  const load = (module) => import(pathToFileURL(path.join(dist, 'src', module, 'index.js')).href);
  const [{ parseConfig }, { GatewayService }, { createLogger }] = await Promise.all([load('config'), load('server'), load('telemetry')]);
  const parsed = parseConfig(configText);
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  const service = new GatewayService(parsed.config, createLogger(parsed.config.log.level));
  return { service, addresses: await service.serve() };
}
