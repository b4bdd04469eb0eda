// Keeps a long-running part alive until SIGINT/SIGTERM, then stops it with a hard-exit timer as a backstop.
import type { Logger } from '../contract/index.ts';
import { createSystemdNotifier, type SystemdNotifier } from './systemd-notify.ts';

export interface Stoppable {
  close(): Promise<void>;
}

/** systemd's default TimeoutStopSec is 90 s; the agent promises to be gone within 5 s, so give up a little later. */
const HARD_EXIT_MS = 6_000;

/** Called once the service is up (broker listening, edge listening, device subscribed): that is READY=1 for systemd. */
export function runUntilSignal(
  service: Stoppable,
  logger: Logger,
  notifier: SystemdNotifier = createSystemdNotifier({ env: process.env, logger }),
): Promise<number> {
  void notifier.ready();
  const stopWatchdog = notifier.startWatchdog();
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn({ signal }, 'second signal, exiting now');
        process.exit(130);
      }
      stopping = true;
      logger.info({ signal }, 'stopping');
      stopWatchdog();
      // Awaited before exiting (the hard-exit timer still bounds it), so systemd sees the stop was deliberate.
      const announced = notifier.stopping();
      setTimeout(() => {
        logger.error({ timeoutMs: HARD_EXIT_MS }, 'did not stop in time, exiting');
        process.exit(1);
      }, HARD_EXIT_MS).unref();
      service.close().then(
        () => {
          logger.info('stopped');
          void announced.then(() => resolve(0));
        },
        (error: unknown) => {
          logger.error({ err: error }, 'error while stopping');
          void announced.then(() => resolve(1));
        },
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
