// The config file as a live source: re-read when it changes on disk and on SIGHUP. SIGHUP never stops
// mcpgw (Node's default for it is to exit); an invalid file is refused and the running config kept.
import { checkedAgainst } from '../config/index.js';
import { watchFile } from '../liveconfig/index.js';
import type { GatewayService } from '../server/index.js';
import type { Logger } from '../telemetry/index.js';
import type { ServeOptions } from './args.js';
import { resolveServeConfig } from './serveConfig.js';

export interface ConfigFollower {
  /** Starts watching the file (SIGHUP is handled from construction on). */
  watch(): Promise<void>;
  stop(): void;
}

export function followConfigFile(options: ServeOptions, service: GatewayService, logger: Logger): ConfigFollower {
  let serving = false;
  const reload = async (trigger: 'SIGHUP' | 'file changed'): Promise<void> => {
    if (!serving) return void logger.warn({ trigger }, 'config reload requested before mcpgw serves; ignored');
    logger.info({ trigger }, 'reloading the config file');
    const result = await service.reloadFile(checkedAgainst(await resolveServeConfig(options), process.env));
    logger.info({ trigger, result, version: service.catalog?.version() }, 'config file reload done');
  };
  const onHangup = (): void => void reload('SIGHUP').catch((err: unknown) => logger.error({ err: (err as Error).message }, 'config reload failed'));
  process.on('SIGHUP', onHangup);
  let close: (() => void) | undefined;
  return {
    async watch() {
      serving = true;
      if (!options.config) return;
      const w = await watchFile(options.config, () => void reload('file changed').catch((err: unknown) => logger.error({ err: (err as Error).message }, 'config reload failed')), logger);
      close = () => w.close();
    },
    stop() {
      process.off('SIGHUP', onHangup);
      close?.();
    },
  };
}
