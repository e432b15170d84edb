// The config file as a live source: re-read when it changes on disk and on SIGHUP. SIGHUP never stops
// mcpgw (Node's default for it is to exit); an invalid file is refused and the running config kept.
import { checkedAgainst } from '../config/index.js';
import { watchFile } from '../liveconfig/index.js';
import type { GatewayService } from '../server/index.js';
import type { Logger } from '../telemetry/index.js';
import type { ServeOptions } from './args.js';
import { resolveServeConfig } from './serveConfig.js';

export interface ConfigFollower {
  /** Starts watching the file; call before serving, so no change made while mcpgw starts is missed. */
  watch(): Promise<void>;
  /** mcpgw serves: a change seen while it started is applied now, later ones as they come. */
  serving(): void;
  stop(): void;
}

export function followConfigFile(options: ServeOptions, service: GatewayService, logger: Logger): ConfigFollower {
  let serving = false;
  let pending: 'SIGHUP' | 'file changed' | undefined;
  const reload = async (trigger: 'SIGHUP' | 'file changed'): Promise<void> => {
    if (!serving) return void (pending = trigger);
    logger.info({ trigger }, 'reloading the config file');
    const result = await service.reloadFile(checkedAgainst(await resolveServeConfig(options), process.env));
    logger.info({ trigger, result, version: service.catalog?.version() }, 'config file reload done');
  };
  const run = (trigger: 'SIGHUP' | 'file changed'): void => void reload(trigger).catch((err: unknown) => logger.error({ err: (err as Error).message }, 'config reload failed'));
  const onHangup = (): void => run('SIGHUP');
  process.on('SIGHUP', onHangup);
  let close: (() => void) | undefined;
  return {
    async watch() {
      if (!options.config) return;
      const w = await watchFile(options.config, () => run('file changed'), logger);
      close = () => w.close();
    },
    serving() {
      serving = true;
      if (pending) run(pending);
      pending = undefined;
    },
    stop() {
      process.off('SIGHUP', onHangup);
      close?.();
    },
  };
}
