// Tells systemd (Type=notify) that a service is ready, alive or stopping, by running the `systemd-notify` program.
// Node cannot send to systemd's Unix datagram socket itself (no AF_UNIX SOCK_DGRAM in dgram) and the npm sd-notify
// module needs a native build, so the units use NotifyAccess=all and we run `systemd-notify` (docs/systemd.md).
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Env, Logger } from '../contract/index.ts';

export interface SystemdNotifier {
  /** True when started by systemd with Type=notify (NOTIFY_SOCKET is set); otherwise every call does nothing. */
  readonly enabled: boolean;
  /** Ping interval systemd asked for (WatchdogSec / 2), or undefined when there is no watchdog for this process. */
  readonly watchdogIntervalMs: number | undefined;
  /** 'sent' (args, ok) after each run of the program; tests wait on it. */
  readonly events: EventEmitter;
  /** READY=1. Resolves true when delivered to systemd-notify; never rejects. */
  ready(): Promise<boolean>;
  /** STOPPING=1, so `systemctl status` shows the shutdown instead of a hang. */
  stopping(): Promise<boolean>;
  /** Starts WATCHDOG=1 pings when systemd asked for them; returns the function that stops them. */
  startWatchdog(): () => void;
}

export interface SystemdNotifierDeps {
  env: Env;
  logger: Logger;
  /** The program to run; found on PATH by default. */
  program?: string;
  pid?: number;
}

export function createSystemdNotifier({ env, logger, program = 'systemd-notify', pid = process.pid }: SystemdNotifierDeps): SystemdNotifier {
  const enabled = Boolean(env.NOTIFY_SOCKET);
  const events = new EventEmitter();
  let missingReported = false;
  const run = (args: string[]): Promise<boolean> => {
    if (!enabled) return Promise.resolve(false);
    return runProgram(program, args, env).then((outcome) => {
      if (outcome.ok) logger.debug({ args }, 'notified systemd');
      else if (!(outcome.missing && missingReported)) {
        // A missing or failing systemd-notify must never stop the service; say so once and carry on.
        missingReported ||= outcome.missing;
        logger.warn({ args, problem: outcome.problem }, 'could not notify systemd (is systemd-notify installed?)');
      }
      events.emit('sent', args, outcome.ok);
      return outcome.ok;
    });
  };
  const watchdogIntervalMs = enabled ? watchdogInterval(env, pid) : undefined;
  return {
    enabled,
    watchdogIntervalMs,
    events,
    ready: () => run(['--ready']),
    stopping: () => run(['STOPPING=1']),
    startWatchdog() {
      if (watchdogIntervalMs === undefined) return () => {};
      const timer = setInterval(() => void run(['WATCHDOG=1']), watchdogIntervalMs);
      // The pings prove the event loop still turns; they must not keep a stopping process alive.
      timer.unref();
      return () => clearInterval(timer);
    },
  };
}

/** systemd sets WATCHDOG_USEC (and WATCHDOG_PID, the process meant) when the unit has WatchdogSec=; ping at half. */
function watchdogInterval(env: Env, pid: number): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return Math.max(1, Math.floor(usec / 2_000));
}

interface Outcome {
  ok: boolean;
  missing: boolean;
  problem?: string;
}

function runProgram(program: string, args: string[], env: Env): Promise<Outcome> {
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(program, args, { env: { ...env }, stdio: 'ignore' });
    } catch (error) {
      return resolve({ ok: false, missing: false, problem: (error as Error).message });
    }
    child.once('error', (error: NodeJS.ErrnoException) =>
      resolve({ ok: false, missing: error.code === 'ENOENT', problem: error.message }),
    );
    child.once('exit', (code, signal) =>
      resolve(code === 0 ? { ok: true, missing: false } : { ok: false, missing: false, problem: `exited with ${code ?? signal}` }),
    );
  });
}
