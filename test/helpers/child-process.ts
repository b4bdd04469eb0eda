// Runs `oom-bonker <command>` as a real child process and follows its JSON log lines as events.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { followOutputLines, type LogLine, type OutputLines } from './output-lines.ts';
import { waitForEvent } from './wait.ts';

export const BIN = fileURLToPath(new URL('../../bin/oom-bonker.js', import.meta.url));

export interface BonkerProcess extends OutputLines {
  child: ChildProcess;
  /** 'log' (LogLine) for every JSON line on stdout, 'text' for other lines, 'exit' (code, signal). */
  events: EventEmitter;
  waitForLog(accept: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Waits for a plain (non-JSON) output line, including ones printed already. */
  waitForText(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
}

/** `bin`: another oom-bonker than this checkout's (e.g. an installed package); `cwd`: where its `.bonker/` goes. */
export function startBonker(args: string[], env: Record<string, string>, { bin = BIN, cwd }: { bin?: string; cwd?: string } = {}): BonkerProcess {
  const child = spawn(process.execPath, [bin, ...args], {
    ...(cwd ? { cwd } : {}),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events = new EventEmitter();
  const { logs, output } = followOutputLines(child, events);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      events.emit('exit', code, signal);
      resolve({ code, signal });
    }),
  );
  return {
    child,
    events,
    logs,
    output,
    exited,
    async waitForLog(accept, timeoutMs = 10_000) {
      const seen = logs.find(accept);
      if (seen) return seen;
      try {
        const [line] = await waitForEvent<[LogLine]>(events, 'log', { timeoutMs, accept });
        return line;
      } catch (error) {
        // The child's own words are what explains a timeout.
        throw new Error(`${(error as Error).message}; last output of oom-bonker ${args.join(' ')}:\n${output.slice(-15).join('\n')}`);
      }
    },
    async waitForText(pattern, timeoutMs = 10_000) {
      const seen = output.find((line) => pattern.test(line));
      if (seen) return seen;
      const [line] = await waitForEvent<[string]>(events, 'text', { timeoutMs, accept: (l) => pattern.test(l) });
      return line;
    },
    kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

/** Runs `oom-bonker args…` to its end: its exit code and everything it printed, one string. */
export async function runBonker(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = startBonker(args, env);
  const { code } = await child.exited;
  return { code, output: child.output.join('\n') };
}
