// A process the Pi-class figure starts (inside the CPU budget or not): its output lines and JSON log lines as events,
// when it started, and a stop by its own PID.
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import { waitForEvent } from '../test/helpers/wait.ts';
import { stop } from './proc.ts';

export interface WatchedProcess {
  child: ChildProcess;
  pid: number;
  /** performance.now() when it was spawned. */
  startedAt: number;
  /** 'line' (text, performance.now() when read), 'log' (parsed JSON line, performance.now()), 'exit' (code). */
  events: EventEmitter;
  lines: string[];
  /** The first line matching `pattern` (also one already printed) and performance.now() when it was read. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<[string, number]>;
  /** The first JSON log line `accept` takes (also one already printed), with performance.now() when it was read. */
  waitForLog(accept: (log: Record<string, unknown>) => boolean, timeoutMs: number): Promise<[Record<string, unknown>, number]>;
  exited: Promise<number | null>;
  close(): Promise<void>;
}

export function watch(child: ChildProcess, startedAt = performance.now()): WatchedProcess {
  const events = new EventEmitter();
  const lines: string[] = [];
  const seen: [string, number][] = [];
  const logs: [Record<string, unknown>, number][] = [];
  const follow = (stream: NodeJS.ReadableStream | null) =>
    stream &&
    createInterface({ input: stream }).on('line', (line) => {
      const at = performance.now();
      lines.push(line);
      seen.push([line, at]);
      events.emit('line', line, at);
      const log = parseLog(line);
      if (!log) return;
      logs.push([log, at]);
      events.emit('log', log, at);
    });
  follow(child.stdout);
  follow(child.stderr);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.once('exit', (code) => events.emit('exit', code));
  const lastLines = () => lines.slice(-10).join('\n');
  return {
    child,
    pid: child.pid!,
    startedAt,
    events,
    lines,
    async waitForLine(pattern, timeoutMs) {
      const early = seen.find(([line]) => pattern.test(line));
      if (early) return early;
      try {
        return await waitForEvent<[string, number]>(events, 'line', { timeoutMs, failOn: 'exit', accept: (line) => pattern.test(line) });
      } catch (error) {
        throw new Error(`${(error as Error).message} (${pattern}); last output:\n${lastLines()}`);
      }
    },
    async waitForLog(accept, timeoutMs) {
      const early = logs.find(([log]) => accept(log));
      if (early) return early;
      try {
        return await waitForEvent<[Record<string, unknown>, number]>(events, 'log', { timeoutMs, failOn: 'exit', accept: (log) => accept(log) });
      } catch (error) {
        throw new Error(`${(error as Error).message}; last output:\n${lastLines()}`);
      }
    },
    exited,
    close: () => stop(child, exited.then(() => {})),
  };
}

function parseLog(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
