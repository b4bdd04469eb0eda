// The npm package as a user installs it: `npm pack`, then `npm install -g <tarball> --omit=dev` into a clean prefix (no
// checkout, no dev dependencies), and the installed `oom-bonker` runs `--version`, `up` and `bonk --wait`; installing
// the tarball again over it (an upgrade) keeps the broker data and the device's dedup store in the working directory.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import mqtt from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTopics, encodeBonk, parseAck, VERSION, type Ack } from '../../contract/index.ts';
import { startBonker, type BonkerProcess } from '../helpers/child-process.ts';
import { freePort } from '../helpers/free-port.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';
import { waitForEvent } from '../helpers/wait.ts';
import { ROOT } from './podman.ts';

const topics = createTopics();
const cleanups: (() => Promise<unknown>)[] = [];
let prefix: string;
let tarball: string;
let workDir: string;
let installedBin: string;

function install(): number {
  const started = performance.now();
  execFileSync('npm', ['install', '-g', '--prefix', prefix, tarball, '--omit=dev', '--no-audit', '--no-fund'], { stdio: 'pipe' });
  return (performance.now() - started) / 1000;
}

beforeAll(async () => {
  const dir = await makeTempDir('bonker-package-');
  cleanups.push(dir.remove);
  prefix = `${dir.path}/prefix`;
  workDir = `${dir.path}/work`;
  execFileSync('mkdir', ['-p', workDir]);
  // --ignore-scripts: npm ci built dist/ already (prepare); the tarball holds exactly what package.json's "files" lists.
  const name = execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', dir.path], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n').at(-1)!;
  tarball = `${dir.path}/${name}`;
  const seconds = install();
  installedBin = `${prefix}/bin/oom-bonker`;
  console.info(`[package] ${name}: ${(statSync(tarball).size / 1024 / 1024).toFixed(1)} MB, installed with --omit=dev in ${seconds.toFixed(1)} s`);
}, 300_000);
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it('installs without a checkout or dev dependencies and prints its version', () => {
  expect(existsSync(`${prefix}/lib/node_modules/oom-bonker/dist/cli/up.cjs`)).toBe(true);
  for (const dev of ['typescript', 'vitest', 'tsx', 'wrangler']) expect(existsSync(`${prefix}/lib/node_modules/oom-bonker/node_modules/${dev}`)).toBe(false);
  expect(execFileSync(installedBin, ['--version'], { encoding: 'utf8' }).trim()).toBe(`oom-bonker ${VERSION}`);
});

async function startUp(): Promise<{ up: BonkerProcess; brokerUrl: string }> {
  const [mqttPort, edgePort] = [await freePort(), await freePort()];
  const up = startBonker(
    ['up', '--broker-port', String(mqttPort), '--broker-ws-port', 'off', '--broker-http-port', 'off', '--edge-port', String(edgePort)],
    {},
    { bin: installedBin, cwd: workDir },
  );
  cleanups.push(async () => (up.kill('SIGKILL'), await up.exited));
  await up.waitForText(/Ctrl-C stops everything/, 30_000);
  return { up, brokerUrl: `mqtt://127.0.0.1:${mqttPort}` };
}

async function stop(up: BonkerProcess): Promise<void> {
  up.kill('SIGTERM');
  expect((await up.exited).code).toBe(0);
}

/** Publishes one bonk with a fixed id and returns the device's ack for it. */
async function bonkWithId(brokerUrl: string, id: string): Promise<Ack> {
  const client = await mqtt.connectAsync(brokerUrl, { clientId: 'bonker-admin-package-test' });
  try {
    await client.subscribeAsync(topics.ack('tux'), { qos: 1 });
    const acked = waitForEvent<[string, Buffer]>(client, 'message', { timeoutMs: 15_000, accept: (_t, p) => parseAck(p)?.id === id });
    const command = { v: 1 as const, id, count: 1, reason: 'package test', source: 'cli' as const, labels: {}, at: Date.now() };
    await client.publishAsync(topics.bonk('tux'), encodeBonk(command), { qos: 1 });
    return parseAck((await acked)[1])!;
  } finally {
    await client.endAsync();
  }
}

it('runs up and bonk --wait from the installed package, and keeps its data across an upgrade', async () => {
  const first = await startUp();
  const wait = execFileSync(installedBin, ['bonk', '--device', 'tux', '--wait', '--broker-url', first.brokerUrl], { encoding: 'utf8' });
  expect(wait).toMatch(/"result":"done"/);
  expect((await bonkWithId(first.brokerUrl, 'upgrade-1')).result).toBe('done');
  await stop(first.up);

  install();
  const second = await startUp();
  // The dedup store in .bonker/device survived the reinstall: the same id is not struck again.
  expect((await bonkWithId(second.brokerUrl, 'upgrade-1')).result).toBe('duplicate');
  await stop(second.up);
}, 120_000);
