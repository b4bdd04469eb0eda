// A Logger that keeps every line, for tests that assert on what was (and was not) logged.
import { EventEmitter } from 'node:events';
import type { Logger } from '../../contract/index.ts';

export interface LogEntry {
  level: string;
  msg: string | undefined;
  obj: Record<string, unknown>;
}

/** Keeps every line; 'line' is emitted for each so tests can wait on a log line. */
export function createRecordingLogger(): Logger & { entries: LogEntry[]; events: EventEmitter } {
  const entries: LogEntry[] = [];
  const events = new EventEmitter();
  const at = (level: string) => (objOrMsg: object | string, msg?: string) => {
    const entry = typeof objOrMsg === 'string'
      ? { level, msg: objOrMsg, obj: {} }
      : { level, msg, obj: objOrMsg as Record<string, unknown> };
    entries.push(entry);
    events.emit('line', entry);
  };
  const logger = {
    entries,
    events,
    trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), fatal: at('fatal'),
    child: () => logger,
  };
  return logger as Logger & { entries: LogEntry[]; events: EventEmitter };
}
