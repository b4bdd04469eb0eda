// A Logger writing one JSON line per entry to console, the log sink of workerd (wrangler tail, Workers Logs).
// This file is the one place console.* is allowed: in a Worker there is no other place for logs to go.
import { maskSecrets, type Logger } from '../../contract/index.ts';

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
      const line = maskSecrets({ level: LEVEL_NUMBERS[name], time: Date.now(), ...bindings, ...fields, msg: text });
      write(JSON.stringify(line, errorsAsObjects));
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

/** Error's own properties are not enumerable; keep what explains the failure. */
function errorsAsObjects(_key: string, value: unknown): unknown {
  return value instanceof Error ? { type: value.name, message: value.message } : value;
}
