// A child process's stdout and stderr followed line by line: the lines that are JSON are its log lines.
import type { ChildProcess } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';

export interface LogLine {
  msg?: string;
  level?: number;
  [key: string]: unknown;
}

export interface OutputLines {
  /** The JSON lines, parsed. */
  logs: LogLine[];
  /** Every line, as printed. */
  output: string[];
}

/** Keeps every line and emits 'log' (LogLine) on `events` for each JSON line, 'text' for any other. */
export function followOutputLines(child: ChildProcess, events: EventEmitter): OutputLines {
  const logs: LogLine[] = [];
  const output: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      output.push(line);
      const parsed = parseJson(line);
      if (!parsed) return void events.emit('text', line);
      logs.push(parsed);
      events.emit('log', parsed);
    });
  }
  return { logs, output };
}

function parseJson(line: string): LogLine | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as LogLine;
  } catch {
    return undefined;
  }
}
