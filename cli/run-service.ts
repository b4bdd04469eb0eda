// Keeps a long-running part alive until SIGINT/SIGTERM, then stops it with a hard-exit timer as a backstop.
import type { Logger } from '../contract/index.ts';

export interface Stoppable {
  close(): Promise<void>;
}

/** systemd's default TimeoutStopSec is 90 s; the agent promises to be gone within 5 s, so give up a little later. */
const HARD_EXIT_MS = 6_000;

export function runUntilSignal(service: Stoppable, logger: Logger): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn({ signal }, 'second signal, exiting now');
        process.exit(130);
      }
      stopping = true;
      logger.info({ signal }, 'stopping');
      setTimeout(() => {
        logger.error({ timeoutMs: HARD_EXIT_MS }, 'did not stop in time, exiting');
        process.exit(1);
      }, HARD_EXIT_MS).unref();
      service.close().then(
        () => {
          logger.info('stopped');
          resolve(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'error while stopping');
          resolve(1);
        },
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
