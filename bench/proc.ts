// Child processes the bench starts (roles, Node-RED, bare baselines), stopped by PID, and their RSS/CPU from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { waitForEvent } from '../test/helpers/wait.ts';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
const ROLE_ENTRY = fileURLToPath(new URL('./role.ts', import.meta.url));

export type RoleName = 'broker' | 'edge' | 'bare-hono' | 'device';

/** A message a role sends over IPC: `{ type: 'ready', ... }` once, then role-specific ones (e.g. 'strike'). */
export interface RoleMessage {
  type: string;
  [key: string]: unknown;
}

export interface Role {
  pid: number;
  ready: RoleMessage;
  /** 'message' (RoleMessage) for everything the role sends after 'ready'. */
  events: EventEmitter;
  close(): Promise<void>;
}

/**
 * Starts `bench/role.ts <name>` under tsx with IPC; resolves with its 'ready' message. BENCH_ROLE_NODE_ARGS adds node
 * flags, e.g. `BENCH_ROLE_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' npm run bench -- --only=1` profiles each role.
 */
export async function startRole(name: RoleName, env: Record<string, string>, timeoutMs = 20_000): Promise<Role> {
  const child = spawn(process.execPath, [...nodeArgs(env), '--import', 'tsx', ROLE_ENTRY, name], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const events = new EventEmitter();
  child.on('message', (message: RoleMessage) => events.emit(message.type === 'ready' ? 'ready' : 'message', message));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', (code) => events.emit('exit', code));
  try {
    const [ready] = (await untilEvent(events, 'ready', () => true, timeoutMs)) as [RoleMessage];
    return { pid: child.pid!, ready, events, close: () => stop(child, exited) };
  } catch (error) {
    await stop(child, exited);
    throw error;
  }
}

/** BENCH_ROLE_NODE_ARGS from the role's env, else from the bench's own (then every role gets them). */
function nodeArgs(env: Record<string, string>): string[] {
  const args = env.BENCH_ROLE_NODE_ARGS ?? process.env.BENCH_ROLE_NODE_ARGS;
  return args ? args.split(' ') : [];
}

/** The first `event` whose arguments pass `accept`; rejects if the process exits first, or after timeoutMs. */
export function untilEvent(
  events: EventEmitter,
  event: string,
  accept: (...args: any[]) => boolean,
  timeoutMs: number,
): Promise<unknown[]> {
  return waitForEvent(events, event, { accept, timeoutMs, failOn: 'exit' });
}

/** SIGTERM to this child only; the roles close their servers and exit. SIGKILL if one hangs. */
export async function stop(child: ChildProcess, exited: Promise<void>, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Resident set size of a process in MB, from /proc (Linux). */
export function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** user + system CPU time of a process in milliseconds, from /proc/PID/stat (clock ticks of 10 ms). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of proc(5) (utime, stime); the slice above starts at field 3.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** A plain child that is not a role (bare node, a bare mqtt.js client, Node-RED): stdout lines as 'line' events. */
export function startPlain(args: string[], env: Record<string, string> = {}): { child: ChildProcess; events: EventEmitter; close(): Promise<void> } {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const events = new EventEmitter();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line.trim()) events.emit('line', line);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  child.once('exit', (code) => events.emit('exit', code));
  return { child, events, close: () => stop(child, exited) };
}
