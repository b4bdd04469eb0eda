// Strikes for one bonk command, paced by the rate limiter, and the ack describing what was done.
import { ackEcho, unstruckAck, type Ack, type BonkCommand, type Logger } from '../contract/index.ts';
import type { RateLimiter } from './rate-limit.ts';
import type { Striker } from './strike.ts';

/** The servo failed before any strike completed: the command must be redelivered, not acknowledged as done. */
export class StrikeFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StrikeFailedError';
  }
}

export interface BonkRunner {
  /**
   * The ack to record and send, or undefined when nothing moved and the command must stay unacknowledged.
   * Throws StrikeFailedError when the servo failed before a single strike completed.
   */
  run(command: BonkCommand): Promise<Ack | undefined>;
}

export function createBonkRunner(deps: {
  striker: Striker;
  limiter: RateLimiter;
  maxPerMinute: number;
  now: () => number;
  logger: Logger;
  /** Aborted when the agent stops: no new strike starts, the one in progress finishes. */
  stopping: AbortSignal;
  onStrike?: (command: BonkCommand, strike: number) => void;
}): BonkRunner {
  const { striker, limiter, maxPerMinute, now, logger, stopping } = deps;
  return {
    async run(command) {
      const allowed = Math.min(command.count, limiter.available(now()));
      const echo = ackEcho(command);
      if (allowed === 0) return unstruckAck(echo, 'rate_limited', `rate limit reached: at most ${maxPerMinute} strikes per minute`);
      logger.info({ ...describe(command), strikes: allowed }, 'bonk');
      let bonks = 0;
      let startedAt: number | null = null;
      let failure: string | undefined;
      for (; bonks < allowed; bonks++) {
        await abortableSleep(limiter.waitBeforeStrike(now()), stopping);
        if (stopping.aborted) break;
        const at = now();
        startedAt ??= at;
        deps.onStrike?.(command, bonks + 1);
        try {
          await striker.strike();
          // Counted once done: failed attempts (a daemon away, redelivered with backoff) must not use up the duty limit.
          limiter.strikeStarted(at);
        } catch (error) {
          logger.error({ err: error, id: command.id }, 'servo failed during a strike');
          failure = `servo failed: ${error instanceof Error ? error.message : String(error)}`;
          break;
        }
      }
      if (bonks === 0 && failure) throw new StrikeFailedError(failure);
      // Nothing moved: leave it unacknowledged so the broker delivers it again after the restart.
      if (bonks === 0) return undefined;
      const error = failure ?? shortfall(command.count, bonks, allowed, maxPerMinute, stopping.aborted);
      return { ...echo, result: 'done', bonks, startedAt, finishedAt: now(), ...(error ? { error } : {}) };
    },
  };
}

/** What the log shows for each bonk: the alert that caused it. */
export function describe(command: BonkCommand): Record<string, unknown> {
  const { namespace, pod, container } = command.labels;
  return { id: command.id, count: command.count, reason: command.reason, source: command.source, namespace, pod, container };
}

function shortfall(count: number, bonks: number, allowed: number, maxPerMinute: number, stopped: boolean): string | undefined {
  if (bonks === count) return undefined;
  if (stopped && bonks < allowed) return `stopped after ${bonks} of ${count} strikes: the agent is shutting down`;
  return `rate limit: struck ${bonks} of ${count} (at most ${maxPerMinute} strikes per minute)`;
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
