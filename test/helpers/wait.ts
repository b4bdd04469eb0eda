// Waiting on events with a deadline, so tests synchronise on what happened instead of sleeping.
/** Anything with on/off: node's EventEmitter, mqtt.js's MqttClient, a ChildProcess. */
export interface Emitter {
  on(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
}

/** Resolves with the first emission of `event` whose arguments pass `accept`; rejects after `timeoutMs`. */
export function waitForEvent<T extends unknown[] = unknown[]>(
  emitter: Emitter,
  event: string,
  { timeoutMs = 5_000, accept = () => true }: { timeoutMs?: number; accept?: (...args: T) => boolean } = {},
): Promise<T> {
  return new Promise((resolve, reject) => {
    const onEvent = (...args: unknown[]) => {
      if (!accept(...(args as T))) return;
      cleanup();
      resolve(args as T);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for "${event}"`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      emitter.off(event, onEvent);
    };
    emitter.on(event, onEvent);
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
