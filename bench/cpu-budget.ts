// A Pi-class CPU for the bench: a cgroup limited to a share of one core, and commands started inside it from their
// first instruction. cgroup v1 (`cpu.cfs_quota_us` / `cpu.cfs_period_us`) or v2 (`cpu.max`), as root.
import { spawn, type ChildProcess } from 'node:child_process';
import { access, mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

const PERIOD_US = 100_000;

export interface CpuBudget {
  /** e.g. "5 % of one core (cgroup v1, /sys/fs/cgroup/cpu/oom-bonker-bench-123)". */
  describe: string;
  share: number;
  /** Spawns `command` already inside the cgroup: a shell joins it, then execs the command (same PID). */
  spawn(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string }): ChildProcess;
  /** Removes the cgroup; every process started in it must have exited. */
  remove(): Promise<void>;
}

const writable = (file: string) => access(file, 2 /* W_OK */).then(() => true, () => false);

/** Where a cpu controller can be made here, or why not. */
async function findController(): Promise<{ version: 1 | 2; dir: string } | { reason: string }> {
  if (await writable('/sys/fs/cgroup/cpu/cpu.cfs_quota_us').catch(() => false)) return { version: 1, dir: '/sys/fs/cgroup/cpu' };
  const controllers = await readFile('/sys/fs/cgroup/cgroup.controllers', 'utf8').catch(() => '');
  const subtree = await readFile('/sys/fs/cgroup/cgroup.subtree_control', 'utf8').catch(() => '');
  if (/\bcpu\b/.test(controllers) && /\bcpu\b/.test(subtree) && (await writable('/sys/fs/cgroup/cgroup.procs'))) {
    return { version: 2, dir: '/sys/fs/cgroup' };
  }
  return {
    reason:
      'no writable cgroup cpu controller (cgroup v1 /sys/fs/cgroup/cpu, or v2 /sys/fs/cgroup with cpu in ' +
      'cgroup.subtree_control); run the bench as root on a host that has one',
  };
}

/** A new cgroup holding `share` (0.05 = 5 %) of one core, or the reason none can be made. */
export async function createCpuBudget(share: number): Promise<CpuBudget | { reason: string }> {
  const found = await findController();
  if ('reason' in found) return found;
  const dir = path.join(found.dir, `oom-bonker-bench-${process.pid}`);
  const quota = Math.round(PERIOD_US * share);
  try {
    await mkdir(dir);
    if (found.version === 1) {
      await writeFile(path.join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
      await writeFile(path.join(dir, 'cpu.cfs_quota_us'), String(quota));
    } else {
      await writeFile(path.join(dir, 'cpu.max'), `${quota} ${PERIOD_US}`);
    }
  } catch (error) {
    await rmdir(dir).catch(() => {});
    return { reason: `could not set up ${dir}: ${(error as Error).message}` };
  }
  const join = path.join(dir, found.version === 1 ? 'tasks' : 'cgroup.procs');
  return {
    describe: `${(share * 100).toFixed(0)} % of one core (cgroup v${found.version}, cpu quota ${quota} µs per ${PERIOD_US} µs)`,
    share,
    spawn(command, args, options) {
      // `exec` keeps the PID: the command runs inside the cgroup from its first instruction.
      return spawn('/bin/sh', ['-c', `echo $$ > '${join}' && exec "$@"`, 'sh', command, ...args], {
        cwd: options.cwd,
        env: options.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    },
    remove: () => rmdir(dir),
  };
}
