// systemd readiness and watchdog through a fake `systemd-notify` (a real program on PATH that records its arguments).
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../contract/index.ts';
import { createRecordingLogger } from '../test/helpers/recording-logger.ts';
import { startBonker, type BonkerProcess } from '../test/helpers/child-process.ts';
import { makeTempDir } from '../test/helpers/temp-dir.ts';
import { waitForEvent } from '../test/helpers/wait.ts';
import { createSystemdNotifier } from './systemd-notify.ts';

let dir: { path: string; remove(): Promise<void> };
let record: string;
let env: Record<string, string>;

beforeEach(async () => {
  dir = await makeTempDir('bonker-notify-');
  record = path.join(dir.path, 'calls.txt');
  const fake = path.join(dir.path, 'systemd-notify');
  // Records "NOTIFY_SOCKET args..." per call; exits 3 when asked to, like a refused notification.
  await writeFile(fake, `#!/bin/sh\necho "$NOTIFY_SOCKET $*" >> '${record}'\n[ -z "$FAKE_NOTIFY_FAIL" ] || exit 3\n`);
  await chmod(fake, 0o755);
  env = { PATH: `${dir.path}:${process.env.PATH ?? ''}`, NOTIFY_SOCKET: '/run/systemd/notify' };
});
afterEach(() => dir.remove());

const calls = async () => (await readFile(record, 'utf8').catch(() => '')).split('\n').filter(Boolean);

describe('createSystemdNotifier', () => {
  it('does nothing when not started by systemd (no NOTIFY_SOCKET)', async () => {
    const notifier = createSystemdNotifier({ env: { PATH: env.PATH }, logger: silentLogger });
    expect(notifier.enabled).toBe(false);
    expect(await notifier.ready()).toBe(false);
    expect(notifier.watchdogIntervalMs).toBeUndefined();
    expect(await calls()).toEqual([]);
  });

  it('runs systemd-notify --ready and STOPPING=1 with NOTIFY_SOCKET passed on', async () => {
    const notifier = createSystemdNotifier({ env, logger: silentLogger });
    expect(await notifier.ready()).toBe(true);
    expect(await notifier.stopping()).toBe(true);
    expect(await calls()).toEqual(['/run/systemd/notify --ready', '/run/systemd/notify STOPPING=1']);
  });

  it('pings WATCHDOG=1 at half of WATCHDOG_USEC until stopped', async () => {
    const notifier = createSystemdNotifier({ env: { ...env, WATCHDOG_USEC: '40000', WATCHDOG_PID: String(process.pid) }, logger: silentLogger });
    expect(notifier.watchdogIntervalMs).toBe(20);
    let pings = 0;
    const stop = notifier.startWatchdog();
    await waitForEvent<[string[], boolean]>(notifier.events, 'sent', {
      timeoutMs: 5_000,
      accept: (args, ok) => ok && args[0] === 'WATCHDOG=1' && ++pings === 3,
    });
    stop();
    expect((await calls()).filter((line) => line.endsWith('WATCHDOG=1')).length).toBeGreaterThanOrEqual(3);
  });

  it('leaves the watchdog to the process systemd meant (WATCHDOG_PID)', () => {
    const notifier = createSystemdNotifier({ env: { ...env, WATCHDOG_USEC: '40000', WATCHDOG_PID: '1' }, logger: silentLogger, pid: 4242 });
    expect(notifier.watchdogIntervalMs).toBeUndefined();
  });

  it('never breaks the service when systemd-notify is missing or fails, and says so once', async () => {
    const logger = createRecordingLogger();
    const missing = createSystemdNotifier({ env: { ...env, PATH: path.join(dir.path, 'nowhere') }, logger });
    expect(await missing.ready()).toBe(false);
    expect(await missing.stopping()).toBe(false);
    expect(logger.entries.filter((e) => e.level === 'warn')).toHaveLength(1);
    const failing = createSystemdNotifier({ env: { ...env, FAKE_NOTIFY_FAIL: '1' }, logger });
    expect(await failing.ready()).toBe(false);
    expect(logger.entries.at(-1)).toMatchObject({ level: 'warn', obj: { problem: 'exited with 3' } });
  });
});

describe('oom-bonker broker under Type=notify', () => {
  let broker: BonkerProcess | undefined;
  afterEach(async () => {
    broker?.kill();
    await broker?.exited;
  });

  it('sends READY=1 after the broker listens, and STOPPING=1 on SIGTERM', async () => {
    broker = startBonker(['broker'], {
      ...env,
      BONKER_LOG_LEVEL: 'debug',
      BONKER_PERSISTENCE: 'memory',
      BONKER_BROKER_PORT: '0',
      BONKER_BROKER_WS_PORT: 'off',
      BONKER_BROKER_HTTP_PORT: 'off',
    });
    await broker.waitForLog((line) => line.msg === 'notified systemd' && String(line.args) === '--ready');
    const order = broker.logs.map((line) => line.msg);
    expect(order.indexOf('broker listening')).toBeLessThan(order.indexOf('notified systemd'));
    broker.kill('SIGTERM');
    expect(await broker.exited).toEqual({ code: 0, signal: null });
    expect(await calls()).toEqual(['/run/systemd/notify --ready', '/run/systemd/notify STOPPING=1']);
  });
});
