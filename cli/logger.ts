// One pino logger per process (JSON lines on stdout); parts get child loggers from it.
import { pino, type DestinationStream } from 'pino';
import { maskSecrets, type Logger } from '../contract/index.ts';

/**
 * Secret-named fields are masked by maskSecrets (contract/logger.ts, shared with the Worker's logger) rather than
 * pino's `redact` option: its seven wildcard paths cost 16 % of the edge's CPU at 6k notifications/s (bench/RESULTS.md,
 * figure 1).
 */
export function createLogger(level: string, name = 'oom-bonker', destination?: DestinationStream): Logger {
  const options = { name, level, formatters: { log: (fields: Record<string, unknown>) => maskSecrets(fields) } };
  return destination ? pino(options, destination) : pino(options);
}
