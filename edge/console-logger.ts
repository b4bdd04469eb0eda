// A Logger writing one JSON line per entry to console, the log sink of workerd (wrangler tail, Workers Logs).
// This file is the one place console.* is allowed: in a Worker there is no other place for logs to go.
import { SECRET_FIELD, type Logger } from '../contract/index.ts';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number] | 'silent';

/** pino's numbers, so the lines read the same as the Node edge's. */
const LEVEL_NUMBERS: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

export function createConsoleLogger(
  level: LogLevel = 'info',
  bindings: Record<string, unknown> = {},
  write: (line: string) => void = (line) => console.log(line),
): Logger {
  const threshold = LEVEL_NUMBERS[level];
  const at = (name: (typeof LOG_LEVELS)[number]) =>
    function log(objOrMsg: object | string, msg?: string): void {
      if (LEVEL_NUMBERS[name] < threshold) return;
      const fields = typeof objOrMsg === 'string' ? {} : objOrMsg;
      const text = typeof objOrMsg === 'string' ? objOrMsg : msg;
      write(JSON.stringify({ level: LEVEL_NUMBERS[name], time: Date.now(), ...bindings, ...fields, msg: text }, replacer));
    };
  return {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    fatal: at('fatal'),
    child: (more) => createConsoleLogger(level, { ...bindings, ...more }, write),
  };
}

function replacer(key: string, value: unknown): unknown {
  if (key && SECRET_FIELD.test(key) && value !== undefined) return '[redacted]';
  // Error's own properties are not enumerable; keep what explains the failure.
  if (value instanceof Error) return { type: value.name, message: value.message };
  return value;
}
