// The logging interface library code receives; pino's Logger satisfies it, and so can a console shim in workerd.
type LogFn = {
  (obj: object, msg?: string): void;
  (msg: string): void;
};

export interface Logger {
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}

/** A logger that drops everything, for tests that do not look at logs. */
export const silentLogger: Logger = {
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  fatal: () => {},
  child: () => silentLogger,
};

/** Field names that may hold a credential. None is logged on purpose; loggers mask them anyway (defence in depth). */
export const SECRET_FIELD = /pass(word)?|token|secret|authorization|credential/i;

const MAX_MASK_DEPTH = 6;

/**
 * `value` with every secret-named field of its plain objects and arrays, at any depth, replaced by '[redacted]'.
 * Returns `value` itself when nothing needed masking, so a normal log line costs one pass over its keys and no copy.
 */
export function maskSecrets<T>(value: T, depth = 0): T {
  if (depth > MAX_MASK_DEPTH || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item: unknown, i) => {
      const masked = maskSecrets(item, depth + 1);
      if (masked !== item) (copy ??= [...value])[i] = masked;
    });
    return (copy ?? value) as T;
  }
  // Errors, Buffers, Dates and the like are left to the logger's serializers.
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const masked = item !== undefined && SECRET_FIELD.test(key) ? '[redacted]' : maskSecrets(item, depth + 1);
    if (masked !== item) (copy ??= { ...(value as Record<string, unknown>) })[key] = masked;
  }
  return (copy ?? value) as T;
}

/** A URL fit for a log line or a message: any password in it replaced by `***` (`mqtt://edge:***@broker:1883`). */
export function safeUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (!url.password) return raw;
    url.password = '***';
    return url.toString();
  } catch {
    return raw.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
  }
}
