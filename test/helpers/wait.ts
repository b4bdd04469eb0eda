// Waiting on events with a deadline, so tests synchronise on what happened instead of sleeping.
/** Anything with on/off: node's EventEmitter, mqtt.js's MqttClient, a ChildProcess. */
export interface Emitter {
  on(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
}

export interface WaitOptions<T extends unknown[]> {
  timeoutMs?: number;
  accept?: (...args: T) => boolean;
  /** An event that ends the wait with an error, e.g. a child process's 'exit'. */
  failOn?: string;
}

/** Resolves with the first emission of `event` whose arguments pass `accept`; rejects after `timeoutMs` or on `failOn`. */
export function waitForEvent<T extends unknown[] = unknown[]>(
  emitter: Emitter,
  event: string,
  { timeoutMs = 5_000, accept = () => true, failOn }: WaitOptions<T> = {},
): Promise<T> {
  return new Promise((resolve, reject) => {
    const onEvent = (...args: unknown[]) => {
      if (!accept(...(args as T))) return;
      cleanup();
      resolve(args as T);
    };
    const onFail = (...args: unknown[]) => {
      cleanup();
      reject(new Error(`"${failOn}" (${args.map(String).join(', ')}) while waiting for "${event}"`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for "${event}"`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      emitter.off(event, onEvent);
      if (failOn) emitter.off(failOn, onFail);
    };
    emitter.on(event, onEvent);
    if (failOn) emitter.on(failOn, onFail);
  });
}

/** Polls `check` on each emission of `event` (and once at the start) until it returns true. */
export async function waitUntil(
  emitter: Emitter,
  event: string,
  check: () => boolean,
  timeoutMs = 5_000,
): Promise<void> {
  if (check()) return;
  await waitForEvent(emitter, event, { timeoutMs, accept: () => check() });
}
