// The container image as shipped: infra/k8s/Dockerfile built with podman on the Debian-made base, then `broker`,
// `edge` and `up` run in it as the manifests run them (non-root, read-only root, no capabilities), reached only
// through ports published on 127.0.0.1. Run with `npm run test:container` (root, podman; see vitest.container.config.ts).
import { chmod, chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, type Ack } from '../../contract/index.ts';
import { hashPassword } from '../../broker/passwords.ts';
import { loadDeviceConfig } from '../../device/config.ts';
import { createSimulatedServo } from '../../device/servo/simulated.ts';
import { startDevice, type RunningDevice } from '../../device/start-device.ts';
import { FAST_MOTION, STRIKE_US } from '../helpers/chain.ts';
import { fixtures } from '../fixtures/index.ts';
import { freePort } from '../helpers/free-port.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';
import { waitUntil } from '../helpers/wait.ts';
import { BASE_IMAGE } from './require-programs.ts';
import { BUILD_LABEL, podman, removeSupersededBuilds, ROOT, runContainer, type RunningContainer } from './podman.ts';

const { version } = JSON.parse(await readFile(`${ROOT}package.json`, 'utf8')) as { version: string };
const IMAGE = `localhost/oom-bonker:${version}`;
const UID = '10001';
const TOKEN = 'container-test-token-0123456789abcdef';
const PASSWORDS = { edge: 'edge-secret-in-a-container', tux: 'tux-secret-in-a-container' };

/** The manifests' securityContext, as podman flags: non-root, read-only root, nothing gained. */
const HARDENED = ['--read-only', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges'];

let dir: Awaited<ReturnType<typeof makeTempDir>>;
const containers: RunningContainer[] = [];
let runs = 0;
const nameOf = (role: string) => `bonker-test-${process.pid}-${++runs}-${role}`;

beforeAll(async () => {
  dir = await makeTempDir('bonker-container-');
  const users = {
    users: [
      { username: 'edge', role: 'edge', password: await hashPassword(PASSWORDS.edge) },
      { username: 'tux', role: 'device', device: 'tux', password: await hashPassword(PASSWORDS.tux) },
    ],
  };
  await writeFile(path.join(dir.path, 'users.json'), JSON.stringify(users));
  // The container's user reads it through the bind mount.
  await chmod(path.join(dir.path, 'users.json'), 0o644);

  const started = performance.now();
  // --network host: `npm ci` in the build stage reaches the npm registry the way this machine does.
  const output = await podman(
    ['build', '--network', 'host', '--label', BUILD_LABEL, '--build-arg', `BASE_IMAGE=${BASE_IMAGE}`, '-f', 'infra/k8s/Dockerfile', '-t', IMAGE, '.'],
    20 * 60_000,
  );
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const size = Number(await podman(['image', 'inspect', '--format', '{{.Size}}', IMAGE]));
  const removed = await removeSupersededBuilds(output);
  process.stdout.write(`built ${IMAGE} from ${BASE_IMAGE} in ${seconds} s: ${(size / 1e6).toFixed(0)} MB (${removed} superseded build images removed)\n`);
});
afterAll(async () => {
  const left = containers.filter((c) => c.child.exitCode === null).map((c) => c.name);
  if (left.length) await podman(['rm', '--force', '--time', '2', ...left]).catch(() => undefined);
  await Promise.all(containers.map((c) => c.exited));
  await dir?.remove();
});

/** `podman run` attached, remembered for clean-up. */
function start(role: string, args: string[]): RunningContainer {
  const container = runContainer(nameOf(role), args);
  containers.push(container);
  return container;
}

async function envFile(name: string, env: Record<string, string>): Promise<string> {
  const file = path.join(dir.path, `${name}.env`);
  await writeFile(file, Object.entries(env).map(([k, v]) => `${k}=${v}\n`).join(''));
  return file;
}

/** A data directory owned by the container's user, mounted at /data: the broker's volume in infra/k8s/broker.yaml. */
async function dataMount(name: string): Promise<string[]> {
  const data = path.join(dir.path, `${name}-data`);
  await mkdir(data, { mode: 0o700 });
  await chown(data, Number(UID), Number(UID));
  return ['-v', `${data}:/data`];
}

const usersMount = () => ['-v', `${path.join(dir.path, 'users.json')}:/etc/oom-bonker/users.json:ro`];

/** GET until it answers `status` (a listener that has just logged may still be behind podman's port forwarder). */
async function waitForStatus(url: string, status: number, timeoutMs = 20_000): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) }).catch((error: Error) => error);
    if (response instanceof Response) {
      if (response.status === status) return response;
      last = `${response.status} ${await response.text()}`;
    } else last = response.message;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms (last: ${last})`);
}

function postAlert(edgeUrl: string, alert: object, query = '') {
  return fetch(`${edgeUrl}/alertmanager${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(alert),
  });
}

/** One more firing episode of the fixture alert, so each test bonks anew. */
const freshAlert = () => ({
  ...fixtures.firingOne,
  alerts: [{ ...fixtures.firingOne.alerts[0], startsAt: new Date().toISOString() }],
});

describe('the image', () => {
  it('runs as uid 10001, starts bin/oom-bonker.js, and holds no dev dependencies, no pigpio, no TypeScript sources (web/ is the page, served as it is)', async () => {
    const config = JSON.parse(await podman(['image', 'inspect', '--format', '{{json .Config}}', IMAGE])) as {
      User: string;
      Entrypoint: string[];
      Cmd: string[];
    };
    expect(config.User).toBe(`${UID}:${UID}`);
    expect(config.Entrypoint).toEqual(['node', 'bin/oom-bonker.js']);
    expect(config.Cmd).toEqual(['up']);
    const probe = [
      'const fs = require("node:fs");',
      'console.log(JSON.stringify({ uid: process.getuid(), node: process.version, app: fs.readdirSync("/app").sort(),',
      '  present: ["vitest", "tsx", "esbuild", "wrangler", "pigpio", "mqtt", "classic-level"].filter((m) => fs.existsSync(`/app/node_modules/${m}`)) }));',
    ].join('\n');
    const seen = JSON.parse(await podman(['run', '--rm', ...HARDENED, '--network', 'none', '--entrypoint', 'node', IMAGE, '-e', probe]));
    expect(seen.uid).toBe(Number(UID));
    expect(seen.node).toMatch(/^v20\./);
    expect(seen.app).toEqual(['bin', 'dist', 'node_modules', 'package-lock.json', 'package.json', 'web']);
    expect(seen.present).toEqual(['mqtt', 'classic-level']);
  });

  it('prints the help overview (the bundle for names without their own)', async () => {
    const help = await podman(['run', '--rm', ...HARDENED, '--network', 'none', IMAGE, '--help']);
    expect(help).toMatch(/broker/);
    expect(help).toMatch(/edge/);
  });
});

describe('broker and edge in two containers sharing one network namespace (like a pod)', () => {
  let broker: RunningContainer;
  let edge: RunningContainer;
  let device: RunningDevice | undefined;
  const ports = { mqtt: 0, metrics: 0, http: 0 };

  beforeAll(async () => {
    Object.assign(ports, { mqtt: await freePort(), metrics: await freePort(), http: await freePort() });
    // The listeners bind 0.0.0.0 inside (published ports arrive on the container's interface), so the broker
    // needs its users file and the edge its token, as the product requires beyond loopback.
    const brokerEnv = await envFile('broker', {
      BONKER_BROKER_HOST: '0.0.0.0',
      BONKER_BROKER_WS_PORT: 'off',
      BONKER_DATA_DIR: '/data',
      BONKER_USERS_FILE: '/etc/oom-bonker/users.json',
    });
    broker = start('broker', [
      ...HARDENED, ...(await dataMount('broker')), ...usersMount(), '--env-file', brokerEnv,
      // The edge's port is published here too: the edge joins this container's network namespace.
      '-p', `127.0.0.1:${ports.mqtt}:1883`, '-p', `127.0.0.1:${ports.metrics}:9102`, '-p', `127.0.0.1:${ports.http}:8080`,
      IMAGE, 'broker',
    ]);
    await broker.waitForLog((l) => l.msg === 'broker listening');
    const edgeEnv = await envFile('edge', {
      BONKER_EDGE_HOST: '0.0.0.0',
      BONKER_EDGE_PORT: '8080',
      BONKER_BROKER_URL: 'mqtt://127.0.0.1:1883',
      BONKER_EDGE_TOKEN: TOKEN,
      BONKER_EDGE_MQTT_USERNAME: 'edge',
      BONKER_EDGE_MQTT_PASSWORD: PASSWORDS.edge,
    });
    edge = start('edge', [...HARDENED, '--network', `container:${broker.name}`, '--env-file', edgeEnv, IMAGE, 'edge']);
    await edge.waitForLog((l) => l.msg === 'edge listening');
  });
  afterAll(async () => {
    await device?.close();
  });

  it('answers the broker\'s /healthz and /readyz (it can write its store on the data volume)', async () => {
    await waitForStatus(`http://127.0.0.1:${ports.metrics}/healthz`, 200);
    await waitForStatus(`http://127.0.0.1:${ports.metrics}/readyz`, 200);
  });

  it('answers the edge\'s /healthz and /readyz (connected to the broker as user edge) and serves the page', async () => {
    const edgeUrl = `http://127.0.0.1:${ports.http}`;
    await waitForStatus(`${edgeUrl}/healthz`, 200);
    await waitForStatus(`${edgeUrl}/readyz`, 200);
    const page = await fetch(`${edgeUrl}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/OOM Bonker/);
    // mqtt.js's browser bundle, read from node_modules at run time.
    expect((await fetch(`${edgeUrl}/dashboard/mqtt.min.js`)).status).toBe(200);
  });

  it('bonks a device agent outside the containers for a webhook posted to the edge, and acks it', async () => {
    const state = await makeTempDir('bonker-container-device-');
    const servo = createSimulatedServo();
    const acks: Ack[] = [];
    try {
      device = await startDevice(
        loadDeviceConfig({
          BONKER_BROKER_URL: `mqtt://127.0.0.1:${ports.mqtt}`,
          BONKER_DEVICE_ID: 'tux',
          BONKER_DEVICE_MQTT_USERNAME: 'tux',
          BONKER_DEVICE_MQTT_PASSWORD: PASSWORDS.tux,
          BONKER_STATE_DIR: state.path,
          BONKER_SERVO_STRIKE_US: String(STRIKE_US),
          ...FAST_MOTION,
        }),
        silentLogger,
        { servo },
      );
      device.events.on('ack', (ack: Ack) => acks.push(ack));
      const response = await postAlert(`http://127.0.0.1:${ports.http}`, freshAlert(), '?wait=ack');
      const body = (await response.json()) as { published: string[]; acks: Ack[] };
      expect(response.status, JSON.stringify(body)).toBe(200);
      expect(body.acks).toEqual([expect.objectContaining({ result: 'done', bonks: 1 })]);
      await waitUntil(device.events, 'ack', () => acks.length >= 1);
      expect(acks[0]!.id).toBe(body.published[0]);
      expect(servo.pulses.filter((p) => p.us === STRIKE_US)).toHaveLength(1);
    } finally {
      await device?.close();
      device = undefined;
      await state.remove();
    }
  });

  it('stops both on SIGTERM with exit code 0', async () => {
    expect(await edge.stop()).toBe(0);
    expect(await broker.stop()).toBe(0);
    expect(broker.logs.some((l) => l.msg === 'broker closed')).toBe(true);
  });
});

describe('`up` in one container', () => {
  it('answers /healthz and /readyz, strikes its simulated servo for a webhook, and stops on SIGTERM', async () => {
    const ports = { http: await freePort(), metrics: await freePort() };
    const env = await envFile('up', {
      BONKER_BROKER_HOST: '0.0.0.0',
      BONKER_BROKER_WS_PORT: 'off',
      BONKER_USERS_FILE: '/etc/oom-bonker/users.json',
      BONKER_DATA_DIR: '/data/broker',
      BONKER_STATE_DIR: '/data/device',
      BONKER_EDGE_HOST: '0.0.0.0',
      BONKER_EDGE_TOKEN: TOKEN,
      BONKER_EDGE_MQTT_USERNAME: 'edge',
      BONKER_EDGE_MQTT_PASSWORD: PASSWORDS.edge,
      BONKER_DEVICE_MQTT_USERNAME: 'tux',
      BONKER_DEVICE_MQTT_PASSWORD: PASSWORDS.tux,
      BONKER_SERVO_STRIKE_US: String(STRIKE_US),
      ...FAST_MOTION,
    });
    const up = start('up', [
      ...HARDENED, ...(await dataMount('up')), ...usersMount(), '--env-file', env,
      '-p', `127.0.0.1:${ports.http}:8080`, '-p', `127.0.0.1:${ports.metrics}:9102`,
      IMAGE, 'up',
    ]);
    // The banner comes once all three parts are up, the device subscribed: a bonk from now on is queued for it.
    await up.waitForText(/OOM Bonker is up/);
    const edgeUrl = `http://127.0.0.1:${ports.http}`;
    await waitForStatus(`${edgeUrl}/healthz`, 200);
    await waitForStatus(`${edgeUrl}/readyz`, 200);
    await waitForStatus(`http://127.0.0.1:${ports.metrics}/readyz`, 200);

    const response = await postAlert(edgeUrl, freshAlert());
    expect(response.status, await response.clone().text()).toBe(200);
    const bonk = await up.waitForLog((l) => l.msg === 'bonk');
    expect(bonk).toMatchObject({ source: 'alertmanager', namespace: 'bonk', pod: 'memory-eater', container: 'eater' });
    await up.waitForLog((l) => l.msg === 'ack' && l.result === 'done');

    expect(await up.stop()).toBe(0);
    expect(up.logs.some((l) => l.msg === 'device agent stopped')).toBe(true);
  });
});
