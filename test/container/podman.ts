// podman for the container suite: one-shot commands, and containers run attached whose JSON log lines are events.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { followOutputLines, type LogLine, type OutputLines } from '../helpers/output-lines.ts';
import { waitForEvent } from '../helpers/wait.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** runc, cgroupfs, no default ulimits: what podman needs on this kind of machine (the file says why). */
export const CONTAINERS_CONF = `${ROOT}infra/container/containers.conf`;
export const PODMAN_ENV = { ...process.env, CONTAINERS_CONF };

const run = promisify(execFile);

/** Runs `podman args…` to the end; rejects with podman's own words. */
export async function podman(args: string[], timeoutMs = 60_000): Promise<string> {
  try {
    const { stdout } = await run('podman', args, { cwd: ROOT, env: PODMAN_ENV, timeout: timeoutMs, maxBuffer: 64 << 20 });
    return stdout.trim();
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`podman ${args.join(' ')}: ${e.message}\n${(e.stderr ?? '').slice(-4000)}${(e.stdout ?? '').slice(-4000)}`);
  }
}

/** Put on every image the container suite builds (both stages), so it removes only its own leftovers. */
export const BUILD_LABEL = 'io.oom-bonker.built-by=test-container';

/**
 * Removes untagged images of earlier suite builds, keeping those `buildOutput` used (its `--> id` and `Using cache id`
 * lines): the build stage of the last build is the cache that lets the next one skip `npm ci`.
 */
export async function removeSupersededBuilds(buildOutput: string): Promise<number> {
  // podman prints the id of each step's image shortened to 11 characters, and a reused one in full.
  const used = [...buildOutput.matchAll(/(?:^--> |Using cache )([0-9a-f]{11,64})\b/gm)].map((m) => m[1]!.slice(0, 11));
  const leftovers = (await podman(['images', '--filter', 'dangling=true', '--filter', `label=${BUILD_LABEL}`, '--format', '{{.ID}}']))
    .split('\n')
    .filter((id) => id && !used.includes(id.slice(0, 11)));
  if (leftovers.length) await podman(['image', 'rm', ...leftovers]).catch(() => undefined);
  return leftovers.length;
}

export interface RunningContainer extends OutputLines {
  name: string;
  child: ChildProcess;
  waitForLog(accept: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Waits for a plain (non-JSON) output line, such as `up`'s banner, including one printed already. */
  waitForText(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<number | null>;
  /** `podman stop` (SIGTERM, then SIGKILL after `graceSeconds`); resolves with the container's exit code. */
  stop(graceSeconds?: number): Promise<number | null>;
}

/**
 * `podman run --rm --name <name> <args…>` attached: the container's stdout and stderr are followed line by line, so
 * a test waits on what the process logged. Remove it with `podman rm -f <name>` if a test ends early.
 */
export function runContainer(name: string, args: string[]): RunningContainer {
  const child = spawn('podman', ['run', '--rm', '--name', name, ...args], { cwd: ROOT, env: PODMAN_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  const events = new EventEmitter();
  const { logs, output } = followOutputLines(child, events);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      events.emit('exit', code);
      resolve(code);
    }),
  );
  async function waitFor<T>(event: string, seen: T | undefined, accept: (value: T) => boolean, timeoutMs: number): Promise<T> {
    if (seen !== undefined) return seen;
    try {
      const [value] = await waitForEvent<[T]>(events, event, { timeoutMs, accept, failOn: 'exit' });
      return value;
    } catch (error) {
      throw new Error(`${(error as Error).message}; last output of container ${name}:\n${output.slice(-20).join('\n')}`);
    }
  }
  return {
    name,
    child,
    logs,
    output,
    exited,
    waitForLog: (accept, timeoutMs = 30_000) => waitFor<LogLine>('log', logs.find(accept), accept, timeoutMs),
    waitForText: (pattern, timeoutMs = 30_000) => {
      const accept = (line: string) => pattern.test(line);
      return waitFor<string>('text', output.find(accept), accept, timeoutMs);
    },
    async stop(graceSeconds = 10) {
      await podman(['stop', '--time', String(graceSeconds), name]).catch(() => undefined);
      return exited;
    },
  };
}
