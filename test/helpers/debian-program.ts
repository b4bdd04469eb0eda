// A Debian program (Prometheus, Alertmanager) as a child process: ready once a stderr line matches, stopped by its PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { waitForEvent } from './wait.ts';

export interface Program {
  child: ChildProcess;
  /** Every stderr line so far; 'line' is emitted on `events` for each new one. */
  lines: string[];
  events: EventEmitter;
  stop(): Promise<void>;
}

export async function startProgram(program: string, args: string[], ready: RegExp): Promise<Program> {
  const child = spawn(program, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const lines: string[] = [];
  const events = new EventEmitter();
  createInterface({ input: child.stderr! }).on('line', (line) => {
    lines.push(line);
    events.emit('line', line);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitForEvent<[string]>(events, 'line', { timeoutMs: 20_000, accept: (line) => ready.test(line) });
  } catch (error) {
    await stop();
    throw new Error(`${path.basename(program)} did not start: ${(error as Error).message}\n${lines.slice(-10).join('\n')}`);
  }
  return { child, lines, events, stop };
}
