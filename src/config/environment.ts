// Checks of a valid config against the environment it will run in: what the file may leave to an
// environment variable must then be there. Separate from parsing, which stays pure.
import { problemLine } from './problems.js';
import type { ConfigResult, GatewayConfig } from './types.js';

function environmentProblems(config: GatewayConfig, env: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  if (config.store.kind === 'redis' && !config.store.url && !config.store.sentinel && !config.store.cluster && !env.MCPGW_REDIS_URL) {
    problems.push(problemLine(['store', 'url'], 'the redis store needs a URL: set store.url or the MCPGW_REDIS_URL environment variable'));
  }
  return problems;
}

/** A loaded config, failed if the environment lacks what it relies on. */
export function checkedAgainst(result: ConfigResult, env: NodeJS.ProcessEnv): ConfigResult {
  if (!result.ok) return result;
  const problems = environmentProblems(result.config, env);
  return problems.length ? { ok: false, problems } : result;
}
