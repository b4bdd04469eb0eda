// Counts and logs connections cut for breaking a resource limit; the log is rate-limited so a flood cannot fill the disk.
import type { Socket } from 'node:net';
import type { Aedes, Client } from 'aedes';
import type { Logger } from '../contract/index.ts';
import type { LimitKind } from './metrics.ts';

export interface LimitRefusals {
  /** Counts one refusal. Logs it at warn when it opens a window; within the window it is only counted for a summary. */
  refused(limit: LimitKind, details: Record<string, unknown>): void;
  /** Logs what the open window held back and stops its timer. */
  close(): void;
}

export interface LimitRefusalDeps {
  logger: Logger;
  count(limit: LimitKind): void;
  windowMs?: number;
}

/** At most two lines per window: the first refusal with its details, then how many of each kind followed. */
export function createLimitRefusals({ logger, count, windowMs = 60_000 }: LimitRefusalDeps): LimitRefusals {
  let held: Partial<Record<LimitKind, number>> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    clearTimeout(timer);
    const counts = held;
    held = undefined;
    timer = undefined;
    if (counts && Object.keys(counts).length) {
      logger.warn({ notLogged: counts, windowMs }, 'more connections were cut for breaking a limit');
    }
  };
  return {
    refused(limit, details) {
      count(limit);
      if (held) {
        held[limit] = (held[limit] ?? 0) + 1;
        return;
      }
      logger.warn({ limit, ...details }, 'connection cut: over a broker limit');
      held = {};
      // unref: a pending summary must not keep a stopping broker alive.
      timer = setTimeout(flush, windowMs).unref();
    },
    close: flush,
  };
}

// aedes' message when its connectTimeout fires (lib/client.js); the client has no id yet, so it is a 'connectionError'.
const CONNECT_TIMEOUT_MESSAGE = 'connect did not arrive in time';

/** Reports clients that sent no CONNECT within aedes' connectTimeout. */
export function watchConnectTimeouts(aedes: Aedes, refusals: LimitRefusals, timeoutMs: number): void {
  aedes.on('connectionError', (client: Client, error: Error) => {
    if (error.message !== CONNECT_TIMEOUT_MESSAGE) return;
    const socket = (client.req?.socket ?? client.conn) as Partial<Socket>;
    refusals.refused('connect_timeout', { remoteAddress: socket.remoteAddress, timeoutMs });
  });
}
