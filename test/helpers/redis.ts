// Debian's redis-server as a child process on a free loopback port, with AOF on, restartable on the same data dir.
import { spawn, type ChildProcess } from 'node:child_process';
import { REDIS_SERVER, requireProgram } from '../interop/require-programs.ts';
import { freePort } from './free-port.ts';
import { makeTempDir } from './temp-dir.ts';

export interface RedisServer {
  port: number;
  /** redis://127.0.0.1:port/0 — what BONKER_PERSISTENCE takes. */
  url: string;
  dataDir: string;
  pid(): number | undefined;
  /** Stops the running server by its PID (SIGTERM waits for it to exit; SIGKILL is a crash). */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and data dir: the AOF is replayed. */
  restart(): Promise<void>;
  /** Stops it and removes the data dir. */
  close(): Promise<void>;
}

/**
 * appendonly + appendfsync always: every write is in the AOF before Redis answers, so a broker's "stored" survives a
 * Redis crash (aedes-persistence-redis kept 3/3 across a Redis restart with AOF: docs/aedes.md).
 */
export function redisArgs(port: number, dataDir: string): string[] {
  return [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dataDir,
    '--appendonly', 'yes', '--appendfsync', 'always', '--save', '',
    '--daemonize', 'no', '--protected-mode', 'yes', '--loglevel', 'notice',
  ];
}

export async function startRedis(program = requireProgram(REDIS_SERVER)): Promise<RedisServer> {
  const dir = await makeTempDir('bonker-redis-');
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(program, redisArgs(port, dir.path), { stdio: ['ignore', 'pipe', 'pipe'] });
    await ready(child);
  };
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill(signal);
    await exited;
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}/0`,
    dataDir: dir.path,
    pid: () => child?.pid,
    stop,
    restart: async () => {
      await stop();
      await start();
    },
    close: async () => {
      await stop();
      await dir.remove();
    },
  };
}

/** Resolves on "Ready to accept connections" (printed after the AOF is loaded); rejects if it exits or takes > 10 s. */
function ready(child: ChildProcess): Promise<void> {
  let log = '';
  return new Promise<void>((resolve, reject) => {
    const done = (error?: Error) => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      // Keep draining: a server whose log pipe fills up would block.
      child.stdout!.resume();
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve();
    };
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      if (/Ready to accept connections/.test(log)) done();
    };
    const onExit = (code: number | null) => done(new Error(`redis-server exited with ${code}:\n${log}`));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      done(new Error(`redis-server was not ready within 10 s:\n${log}`));
    }, 10_000);
    child.stdout!.on('data', onData);
    child.stderr!.resume();
    child.once('exit', onExit);
  });
}
