// Operational logs: one JSON object per line (pino) on stdout.
import { pino, type Logger, type LevelWithSilent } from 'pino';
import type { SecretsGuard } from './auditSecrets.js';

export type { Logger };

/** `guard` scrubs credential fields and every registered secret from each line. */
export function createLogger(level: LevelWithSilent, destination?: NodeJS.WritableStream, guard?: SecretsGuard): Logger {
  return pino(
    {
      level,
      base: { service: 'mcpgw' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      ...guard?.loggerOptions(),
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
