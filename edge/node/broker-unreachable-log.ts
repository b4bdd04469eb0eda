// Logs an unreachable broker the way an operator can read it: once with the cause when it starts, then at most one
// line per window with how many attempts failed, then once when the broker is reached again. mqtt.js retries every
// second, and a warning with a stack trace per attempt buried everything else in the log.
import { safeUrl, type Logger } from '../../contract/index.ts';

export interface UnreachableLog {
  /** A connection attempt failed (mqtt.js 'error' while not connected). */
  failed(error: Error & { code?: string | number }): void;
  /** Connected (and subscribed) again. */
  connected(): void;
}

export function createUnreachableLog(opts: { logger: Logger; url: string; windowMs?: number; now?: () => number }): UnreachableLog {
  const { logger } = opts;
  const url = safeUrl(opts.url);
  const windowMs = opts.windowMs ?? 60_000;
  const now = opts.now ?? Date.now;
  const window = windowMs === 60_000 ? 'the last minute' : `the last ${windowMs / 1000} s`;
  let down: { since: number; lastLine: number; attempts: number; total: number } | undefined;
  return {
    failed(error) {
      const cause = causeOf(error);
      if (!down) {
        down = { since: now(), lastLine: now(), attempts: 0, total: 1 };
        logger.warn({ url, cause }, `cannot reach the broker at ${url} (${cause}); retrying every second`);
        return;
      }
      down.attempts += 1;
      down.total += 1;
      if (now() - down.lastLine < windowMs) return;
      logger.warn(
        { url, cause, attempts: down.attempts, windowMs },
        `still cannot reach the broker at ${url} (${cause}), ${down.attempts} attempts in ${window}`,
      );
      down.lastLine = now();
      down.attempts = 0;
    },
    connected() {
      if (!down) return;
      logger.info({ url, attempts: down.total, downMs: now() - down.since }, `reached the broker at ${url} again after ${down.total} failed attempts`);
      down = undefined;
    },
  };
}

/** `ECONNREFUSED`, `ENOTFOUND`…; for a refused CONNECT, mqtt.js's message (`Connection refused: Not authorized`). */
function causeOf(error: Error & { code?: string | number }): string {
  return typeof error.code === 'string' ? error.code : error.message;
}
