// The CLI's own broker connection failing, as users meet it: the URL it tried, the error code, and what to check.
// And with a users file, the admin user connects (its client id is in the admin role's namespace).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../contract/index.ts';
import { startBroker, type RunningBroker } from '../broker/start-broker.ts';
import { testBrokerConfig } from './helpers/broker-test-support.ts';
import { runBonker } from './helpers/child-process.ts';
import { freePort } from './helpers/free-port.ts';
import { makeTempDir } from './helpers/temp-dir.ts';
import { writeUsersFile } from './helpers/users-file.ts';

const PASSWORD = 'admin-password-1';
let dir: Awaited<ReturnType<typeof makeTempDir>>;
let secured: RunningBroker;

beforeAll(async () => {
  dir = await makeTempDir('bonker-cli-connect-');
  const usersFile = await writeUsersFile(dir.path, PASSWORD, [{ username: 'admin', role: 'admin' }]);
  secured = await startBroker(testBrokerConfig({ BONKER_USERS_FILE: usersFile }), silentLogger);
});
afterAll(async () => {
  await secured?.close();
  await dir?.remove();
});

describe('with no broker listening', () => {
  it.each([['bonk'], ['status'], ['watch']])('`oom-bonker %s` says where it tried, the error code and what to check', async (command) => {
    const url = `mqtt://admin:s3cret-pw@127.0.0.1:${await freePort()}`;
    const { code, output } = await runBonker([command], { BONKER_BROKER_URL: url });
    expect(code).toBe(1);
    expect(output).toContain(`oom-bonker ${command}: cannot connect to the broker at ${url.replace('s3cret-pw', '***')} (ECONNREFUSED)`);
    expect(output).toMatch(/is `oom-bonker broker` or `oom-bonker up` running there\? Check BONKER_BROKER_URL \(--broker-url\)/);
    expect(output).toMatch(/BONKER_MQTT_USERNAME and BONKER_MQTT_PASSWORD/);
    expect(output).not.toContain('s3cret-pw');
    expect(output).not.toMatch(/^\s+at /m);
  });
});

describe('with a users file', () => {
  it('a wrong password is named as a login problem', async () => {
    const url = `mqtt://127.0.0.1:${secured.mqttPort}`;
    const { code, output } = await runBonker(['status'], { BONKER_BROKER_URL: url, BONKER_MQTT_USERNAME: 'admin', BONKER_MQTT_PASSWORD: 'wrong' });
    expect(code).toBe(1);
    expect(output).toMatch(new RegExp(`the broker at mqtt://127\\.0\\.0\\.1:${secured.mqttPort} refused the login \\(.*\\); check BONKER_MQTT_USERNAME and BONKER_MQTT_PASSWORD`));
  });

  it('the admin user connects', async () => {
    const url = `mqtt://127.0.0.1:${secured.mqttPort}`;
    const { code, output } = await runBonker(['status'], { BONKER_BROKER_URL: url, BONKER_MQTT_USERNAME: 'admin', BONKER_MQTT_PASSWORD: PASSWORD });
    expect(code, output).toBe(0);
    expect(output).toMatch(/no devices have announced themselves yet/);
  });
});
