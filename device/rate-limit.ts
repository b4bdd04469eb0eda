// Strike pacing: a minimum gap between strikes and a cap per sliding minute, so alert storms cannot wear the servo out.

const WINDOW_MS = 60_000;

export interface RateLimiter {
  /** Strikes still allowed in the current sliding minute. */
  available(now: number): number;
  /** Milliseconds to wait before the next strike may start (0 when it may start now). */
  waitBeforeStrike(now: number): number;
  /** Records a strike that started at `at`. */
  strikeStarted(at: number): void;
}

export function createRateLimiter({ minGapMs, maxPerMinute }: { minGapMs: number; maxPerMinute: number }): RateLimiter {
  const recent: number[] = [];
  const prune = (now: number) => {
    while (recent.length && recent[0]! <= now - WINDOW_MS) recent.shift();
  };
  return {
    available(now) {
      prune(now);
      return Math.max(0, maxPerMinute - recent.length);
    },
    waitBeforeStrike(now) {
      const last = recent.at(-1);
      return last === undefined ? 0 : Math.max(0, last + minGapMs - now);
    },
    strikeStarted(at) {
      recent.push(at);
    },
  };
}
