// Every setting wrong at once → `oom-bonker <part>` exits 78 (EX_CONFIG, systemd stops restarting) and names every
// variable, so one run of the unit shows the operator all there is to fix. Real child processes via the CLI.
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CONFIG } from '../contract/index.ts';
import { runBonker } from './helpers/child-process.ts';
import { freePort } from './helpers/free-port.ts';
import { makeTempDir } from './helpers/temp-dir.ts';

const run = (command: string, env: Record<string, string>) => runBonker([command], env);

/** Each variable must appear at the start of a problem line, followed by what is expected. */
function expectNamed(output: string, variables: string[]) {
  for (const variable of variables) expect(output, `${variable} not reported`).toMatch(new RegExp(`^\\s+${variable}(\\.\\d+)?: .*expected`, 'm'));
}

const WRONG = {
  broker: {
    BONKER_BROKER_PORT: '70000',
    BONKER_BROKER_WS_PORT: 'nine',
    BONKER_BROKER_TLS_PORT: '-1',
    BONKER_BROKER_HTTP_PORT: '99999',
    BONKER_PERSISTENCE: 'mongodb',
    BONKER_TOPIC_PREFIX: 'a/#',
  },
  edge: {
    BONKER_EDGE_PORT: 'http',
    BONKER_EDGE_BASIC_USER: 'a:b',
    BONKER_BROKER_URL: 'http://broker',
    BONKER_TOPIC_PREFIX: '/',
    BONKER_DEFAULT_DEVICE: 'a/b',
    BONKER_EDGE_BODY_LIMIT: '0',
    BONKER_EDGE_MAX_BONKS: 'many',
    BONKER_EDGE_PUBLISH_TIMEOUT_MS: '-5',
    BONKER_EDGE_ACK_TIMEOUT_MS: '1.5',
    BONKER_EDGE_REQUEST_TIMEOUT_MS: '0',
    BONKER_EDGE_HMAC_HEADER: 'bad header',
    BONKER_EDGE_HMAC_TIMESTAMP_HEADER: 'x:y',
  },
  device: {
    BONKER_DEVICE_ID: 'a/b',
    BONKER_BROKER_URL: 'http://broker',
    BONKER_TOPIC_PREFIX: 'a//b',
    BONKER_SERVO_DRIVER: 'stepper',
    BONKER_SERVO_GPIO: '99',
    BONKER_SERVO_REST_US: '100',
    BONKER_SERVO_STRIKE_US: '3000',
    BONKER_SERVO_TRAVEL_MS: '-5',
    BONKER_SERVO_HOLD_MS: '-1',
    BONKER_MIN_GAP_MS: 'soon',
    BONKER_MAX_PER_MINUTE: '0',
    BONKER_DEDUP_SIZE: '0',
  },
} as const;

describe.each(Object.entries(WRONG))('oom-bonker %s with every setting wrong', (command, env) => {
  it('exits 78 and names every variable with what it expects', async () => {
    const { code, output } = await run(command, { ...env });
    expect(code, output).toBe(EXIT_CONFIG);
    expectNamed(output, Object.keys(env));
  });
});

it('the edge also reports the cross-variable problem (basic user without password)', async () => {
  const { code, output } = await run('edge', { ...WRONG.edge });
  expect(code).toBe(EXIT_CONFIG);
  expectNamed(output, ['BONKER_EDGE_BASIC_PASSWORD']);
});

describe('a users file with several errors', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  beforeAll(async () => {
    dir = await makeTempDir('bonker-users-');
    const users = [
      { username: '', role: 'edge', password: 'plain-text' },
      { username: 'tux', role: 'device', password: 'scrypt$bad' },
      { username: 'boss', role: 'god', password: 'x' },
      { username: 'tux', role: 'viewer', password: 'x', colour: 'red' },
    ];
    await writeFile(`${dir.path}/users.json`, JSON.stringify({ users, extra: true }));
  });
  afterAll(() => dir?.remove());

  it('exits 78 naming each entry and field at fault', async () => {
    const { code, output } = await run('broker', { BONKER_USERS_FILE: `${dir.path}/users.json`, BONKER_BROKER_PORT: '0' });
    expect(code, output).toBe(EXIT_CONFIG);
    for (const path of ['users.0.username', 'users.0.password', 'users.1.device', 'users.1.password', 'users.2', 'users.3', '(root)']) {
      expect(output, `${path} not reported`).toContain(`BONKER_USERS_FILE (${dir.path}/users.json): ${path}`);
    }
    expect(output).toMatch(/users\.3\.username: duplicate username "tux"/);
  });

  it('is reported together with per-variable problems', async () => {
    const { output } = await run('broker', { BONKER_USERS_FILE: `${dir.path}/users.json`, BONKER_BROKER_PORT: '70000' });
    expectNamed(output, ['BONKER_BROKER_PORT']);
    expect(output).toContain('users.0.username');
  });
});

it('a bad BONKER_LOG_LEVEL is reported together with the rest', async () => {
  const { code, output } = await run('edge', { ...WRONG.edge, BONKER_LOG_LEVEL: 'loud' });
  expect(code).toBe(EXIT_CONFIG);
  expectNamed(output, ['BONKER_LOG_LEVEL', ...Object.keys(WRONG.edge)]);
});

describe('BONKER_* names nothing reads', () => {
  it.each(['edge', 'bonk', 'device'])('stop `oom-bonker %s` with exit 78, naming the closest known name', async (command) => {
    const { code, output } = await run(command, { BONKER_EDGE_PORTT: '9000', BONKER_EDGE_PORT: '0', BONKER_STATE_DIR: '/nonexistent' });
    expect(code, output).toBe(EXIT_CONFIG);
    expect(output).toMatch(/^\s+BONKER_EDGE_PORTT: unknown setting; did you mean BONKER_EDGE_PORT\?$/m);
  });

  it("pass when they are another command's settings, so one env file can serve up and each part", async () => {
    const { code, output } = await run('device', { BONKER_EDGE_PORT: '9000', BONKER_DEVICE_ID: 'a/b' });
    expect(code).toBe(EXIT_CONFIG);
    expectNamed(output, ['BONKER_DEVICE_ID']);
    expect(output).not.toContain('BONKER_EDGE_PORT');
  });
});

describe('BONKER_SERVO_REQUIRE_HARDWARE=on', () => {
  it('stops `auto` from simulating on a machine without servo hardware: exit 78 naming what it tried', async () => {
    const state = await makeTempDir('bonker-require-');
    try {
      const closedPort = String(await freePort());
      const { code, output } = await run('device', {
        BONKER_SERVO_DRIVER: 'auto', BONKER_SERVO_REQUIRE_HARDWARE: 'on', BONKER_PIGPIOD_PORT: closedPort, BONKER_STATE_DIR: state.path,
      });
      expect(code, output).toBe(EXIT_CONFIG);
      expect(output).toMatch(
        new RegExp(`BONKER_SERVO_REQUIRE_HARDWARE: BONKER_SERVO_DRIVER=auto found no servo hardware \\(tried pwm-sysfs, pigpiod and pigpio: .*no pigpiod on 127\\.0\\.0\\.1:${closedPort}`),
      );
      expect(output).not.toMatch(/^\s+at /m);
    } finally {
      await state.remove();
    }
  });
});
