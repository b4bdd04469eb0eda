// The npm package as a user installs it: `npm pack`, then `npm install -g <tarball> --omit=dev` into a clean prefix (no
// checkout, no dev dependencies). The systemd units' ExecStart runs from that tree; the installed `oom-bonker` runs
// `--version`, `up` and `bonk --wait`; `pigpio` (optional, built here without its C library) is one line when asked
// for and no stack trace under `auto`; installing a newer release over it keeps the broker data and the dedup store.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, statSync } from 'node:fs';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopics, encodeBonk, parseAck, VERSION, type Ack } from '../../contract/index.ts';
import { startBonker, type BonkerProcess } from '../helpers/child-process.ts';
import { freePort } from '../helpers/free-port.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';
import { waitForEvent } from '../helpers/wait.ts';
import { INSTALL_PREFIX, parseUnit, readInfra, splitExecStart, UNIT_NAMES } from '../infra/infra-files.ts';
import { pack, packNewerRelease } from './npm-package.ts';
import { ROOT } from './podman.ts';

const topics = createTopics();
const cleanups: (() => Promise<unknown>)[] = [];
let dir: string;
let prefix: string;
let packageDir: string;
let workDir: string;
let installedBin: string;
let newer: { tarball: string; version: string };

function install(tarball: string): number {
  const started = performance.now();
  execFileSync('npm', ['install', '-g', '--prefix', prefix, tarball, '--omit=dev', '--no-audit', '--no-fund'], { stdio: 'pipe' });
  return (performance.now() - started) / 1000;
}

beforeAll(async () => {
  const temp = await makeTempDir('bonker-package-');
  cleanups.push(temp.remove);
  dir = temp.path;
  prefix = `${dir}/prefix`;
  packageDir = `${prefix}/lib/node_modules/oom-bonker`;
  workDir = `${dir}/work`;
  execFileSync('mkdir', ['-p', workDir, `${dir}/device-check`]);
  const tarball = pack(ROOT, dir);
  newer = packNewerRelease(dir, dir);
  const seconds = install(tarball);
  installedBin = `${prefix}/bin/oom-bonker`;
  console.info(`[package] ${tarball}: ${(statSync(tarball).size / 1024 / 1024).toFixed(1)} MB, installed with --omit=dev in ${seconds.toFixed(1)} s`);
}, 300_000);
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it('installs without a checkout or dev dependencies and prints its version', () => {
  expect(existsSync(`${packageDir}/dist/cli/up.cjs`)).toBe(true);
  // The units and the pigpio driver's message point there.
  expect(existsSync(`${packageDir}/docs/pi-install.md`)).toBe(true);
  for (const dev of ['typescript', 'vitest', 'tsx', 'wrangler']) expect(existsSync(`${packageDir}/node_modules/${dev}`)).toBe(false);
  expect(execFileSync(installedBin, ['--version'], { encoding: 'utf8' }).trim()).toBe(`oom-bonker ${VERSION}`);
});

it('ships the Mosquitto recipe the README copies from the installed package', () => {
  for (const file of ['oom-bonker.conf', 'oom-bonker.acl']) {
    expect(readFileSync(`${packageDir}/infra/mosquitto/${file}`, 'utf8')).toBe(readInfra(`mosquitto/${file}`));
  }
});

describe('the systemd units run the installed package', () => {
  it.each(UNIT_NAMES)('oom-bonker-%s.service: its ExecStart starts from the installed tree (/usr/local → the test prefix)', (name) => {
    const text = readInfra(`systemd/oom-bonker-${name}.service`);
    // The README has the units copied from the installed package: the same files as in this checkout.
    expect(readFileSync(`${packageDir}/infra/systemd/oom-bonker-${name}.service`, 'utf8')).toBe(text);
    const exec = splitExecStart(parseUnit(text));
    expect(exec.script.startsWith(`${INSTALL_PREFIX}/`), exec.script).toBe(true);
    const script = `${prefix}${exec.script.slice(INSTALL_PREFIX.length)}`;
    expect(existsSync(script), script).toBe(true);
    expect(existsSync(`${packageDir}/dist/cli/${exec.args[0]}.cjs`)).toBe(true);
    // As systemd runs it (`node` from its search path: this test's node), with the unit's V8 flags; --help stops there.
    const help = execFileSync(process.execPath, [...exec.nodeFlags, script, ...exec.args, '--help'], { encoding: 'utf8' });
    expect(help).toMatch(new RegExp(`^usage: oom-bonker ${exec.args[0]} `));
  });
});

/** `oom-bonker device` from the installed package, to its end; its output lines. */
function runDevice(env: Record<string, string>): { status: number | null; lines: string[] } {
  const run = spawnSync(process.execPath, [installedBin, 'device'], {
    cwd: `${dir}/device-check`,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: run.status, lines: `${run.stdout}${run.stderr}`.split('\n').filter(Boolean) };
}

describe('pigpio stays optional: asking for it where it cannot run is one line and exit 78, never a stack trace', () => {
  // The failure comes before the agent connects: the broker URL is never dialled.
  const pigpioEnv = { BONKER_SERVO_DRIVER: 'pigpio', BONKER_BROKER_URL: 'mqtt://127.0.0.1:9' };
  const pigpioDir = () => `${packageDir}/node_modules/pigpio`;

  it('with pigpio installed as npm builds it off a Pi (an addon without the C library)', () => {
    expect(existsSync(`${pigpioDir()}/build/Release/pigpio.node`), 'npm built the optional pigpio here').toBe(true);
    const run = runDevice(pigpioEnv);
    expect(run.lines).toEqual([
      expect.stringMatching(/^oom-bonker device: pigpio servo driver unavailable: the npm package "pigpio" is installed but its addon does not load \(.+\): the pigpio C library was missing when npm built it\. .*npm rebuild pigpio/),
    ]);
    expect(run.status).toBe(78);
  });

  it('with pigpio left out (as npm leaves out an optional dependency whose install failed)', () => {
    renameSync(pigpioDir(), `${pigpioDir()}.away`);
    try {
      const run = runDevice(pigpioEnv);
      expect(run.lines).toEqual([expect.stringMatching(/^oom-bonker device: pigpio servo driver unavailable: the npm package "pigpio" is not installed\. /)]);
      expect(run.status).toBe(78);
    } finally {
      renameSync(`${pigpioDir()}.away`, pigpioDir());
    }
  });

  it('BONKER_SERVO_DRIVER=auto falls back to the simulated servo: one warning, JSON lines only, no stack', async () => {
    const port = await freePort();
    const broker = startBonker(['broker', '--broker-port', String(port), '--broker-ws-port', 'off', '--broker-http-port', 'off'], {}, {
      bin: installedBin,
      cwd: `${dir}/device-check`,
    });
    cleanups.push(async () => (broker.kill('SIGKILL'), await broker.exited));
    await broker.waitForLog((line) => line.msg === 'broker listening', 30_000);
    const device = startBonker(['device'], { BONKER_SERVO_DRIVER: 'auto', BONKER_DEVICE_ID: 'auto-check', BONKER_BROKER_URL: `mqtt://127.0.0.1:${port}` }, {
      bin: installedBin,
      cwd: `${dir}/device-check`,
    });
    cleanups.push(async () => (device.kill('SIGKILL'), await device.exited));
    await device.waitForLog((line) => line.msg === 'connected to broker', 30_000);
    // The agent strikes and acknowledges with the simulated servo it fell back to.
    expect((await bonkWithId(`mqtt://127.0.0.1:${port}`, 'auto-1', 'auto-check')).result).toBe('done');
    await stop(device);
    await stop(broker);
    expect(device.output.filter((line) => !line.startsWith('{'))).toEqual([]);
    expect(device.logs.filter((line) => 'stack' in line || 'err' in line || /\n\s+at /.test(JSON.stringify(line)))).toEqual([]);
    expect(device.logs.filter((line) => line.level === 40).map((line) => line.msg)).toEqual([
      expect.stringMatching(/^BONKER_SERVO_DRIVER=auto (found no servo hardware|chose pigpio, which cannot run here): SIMULATING/),
    ]);
    expect(device.logs.find((line) => line.msg === 'servo parked')).toMatchObject({ driver: 'simulated' });
  }, 90_000);
});

async function startUp(): Promise<{ up: BonkerProcess; brokerUrl: string; edgeUrl: string }> {
  const [mqttPort, edgePort] = [await freePort(), await freePort()];
  const up = startBonker(
    ['up', '--broker-port', String(mqttPort), '--broker-ws-port', 'off', '--broker-http-port', 'off', '--edge-port', String(edgePort)],
    {},
    { bin: installedBin, cwd: workDir },
  );
  cleanups.push(async () => (up.kill('SIGKILL'), await up.exited));
  await up.waitForText(/Ctrl-C stops everything/, 30_000);
  return { up, brokerUrl: `mqtt://127.0.0.1:${mqttPort}`, edgeUrl: `http://127.0.0.1:${edgePort}` };
}

async function stop(up: BonkerProcess): Promise<void> {
  up.kill('SIGTERM');
  expect((await up.exited).code).toBe(0);
}

/** Publishes one bonk with a fixed id and returns the device's ack for it. */
async function bonkWithId(brokerUrl: string, id: string, device = 'tux'): Promise<Ack> {
  const client = await mqtt.connectAsync(brokerUrl, { clientId: 'bonker-admin-package-test' });
  try {
    await client.subscribeAsync(topics.ack(device), { qos: 1 });
    const acked = waitForEvent<[string, Buffer]>(client, 'message', { timeoutMs: 15_000, accept: (_t, p) => parseAck(p)?.id === id });
    const command = { v: 1 as const, id, count: 1, reason: 'package test', source: 'cli' as const, labels: {}, at: Date.now() };
    await client.publishAsync(topics.bonk(device), encodeBonk(command), { qos: 1 });
    return parseAck((await acked)[1])!;
  } finally {
    await client.endAsync();
  }
}

const AWAY = 'away';

/** Broker data: a persistent session of a device that is away, with a bonk queued for it. */
async function queueBonkForAwayDevice(brokerUrl: string, id: string): Promise<void> {
  const away = await mqtt.connectAsync(brokerUrl, { clientId: `bonker-device-${AWAY}`, clean: false });
  await away.subscribeAsync(topics.bonk(AWAY), { qos: 1 });
  await away.endAsync();
  const admin = await mqtt.connectAsync(brokerUrl, { clientId: 'bonker-admin-package-queue' });
  const command = { v: 1 as const, id, count: 1, reason: 'queued across an upgrade', source: 'cli' as const, labels: {}, at: Date.now() };
  // QoS 2: Aedes has stored the message once it answers PUBREC.
  await admin.publishAsync(topics.bonk(AWAY), encodeBonk(command), { qos: 2 });
  await admin.endAsync();
}

/** The away device comes back to its session: the id of the first bonk the broker delivers. */
async function receiveQueuedBonk(brokerUrl: string): Promise<string> {
  const away = mqtt.connect(brokerUrl, { clientId: `bonker-device-${AWAY}`, clean: false, reconnectPeriod: 0 });
  try {
    const [, payload] = await waitForEvent<[string, Buffer]>(away, 'message', { timeoutMs: 15_000, failOn: 'error' });
    return (JSON.parse(payload.toString()) as { id: string }).id;
  } finally {
    await away.endAsync();
  }
}

it('serves the dashboard page and its scripts from the installed package', async () => {
  const { up, edgeUrl } = await startUp();
  const page = await fetch(`${edgeUrl}/`);
  expect(page.status).toBe(200);
  expect(await page.text()).toMatch(/OOM Bonker/);
  for (const asset of ['dashboard.js', 'dashboard.css', 'mqtt.min.js']) {
    expect((await fetch(`${edgeUrl}/dashboard/${asset}`)).status, asset).toBe(200);
  }
  await stop(up);
}, 60_000);

it('runs up and bonk --wait from the installed package, and keeps its data across an upgrade to a newer release', async () => {
  const first = await startUp();
  const wait = execFileSync(installedBin, ['bonk', '--device', 'tux', '--wait', '--broker-url', first.brokerUrl], { encoding: 'utf8' });
  expect(wait).toMatch(/"result":"done"/);
  expect((await bonkWithId(first.brokerUrl, 'upgrade-1')).result).toBe('done');
  await queueBonkForAwayDevice(first.brokerUrl, 'queued-1');
  await stop(first.up);

  // `npm install -g` of the next release's tarball over this one, as the README's upgrade does.
  expect(newer.version).not.toBe(VERSION);
  install(newer.tarball);
  expect(execFileSync(installedBin, ['--version'], { encoding: 'utf8' }).trim()).toBe(`oom-bonker ${newer.version}`);
  const second = await startUp();
  // The dedup store in .bonker/device survived: the same id is not struck again.
  expect((await bonkWithId(second.brokerUrl, 'upgrade-1')).result).toBe('duplicate');
  // The broker's LevelDB in .bonker/broker survived: the away device's session still holds its bonk.
  expect(await receiveQueuedBonk(second.brokerUrl)).toBe('queued-1');
  await stop(second.up);
}, 120_000);
