// `oom-bonker up` (npm start) as a user meets it: the banner, a test alert bonking in the log, Ctrl-C stopping it all.
import { afterAll, expect, it } from 'vitest';
import { fixtures } from './fixtures/index.ts';
import { startBonker, type BonkerProcess } from './helpers/child-process.ts';
import { makeTempDir } from './helpers/temp-dir.ts';

let up: BonkerProcess | undefined;
let dir: Awaited<ReturnType<typeof makeTempDir>> | undefined;
afterAll(async () => {
  up?.kill('SIGKILL');
  await up?.exited;
  await dir?.remove();
});

it('prints where it listens, bonks for a test alert with the alert in the log, and stops on Ctrl-C', async () => {
  dir = await makeTempDir();
  up = startBonker(['up'], {
    BONKER_BROKER_PORT: '0',
    BONKER_BROKER_WS_PORT: '0',
    BONKER_BROKER_HTTP_PORT: '0',
    BONKER_EDGE_PORT: '0',
    BONKER_DATA_DIR: `${dir.path}/broker`,
    BONKER_STATE_DIR: `${dir.path}/device`,
  });
  const banner = await up.waitForText(/\/alertmanager/, 15_000);
  const edgeUrl = /(http:\/\/127\.0\.0\.1:\d+)\/alertmanager/.exec(banner)?.[1];
  expect(edgeUrl).toBeDefined();
  expect(up.output.join('\n')).toMatch(/broker\s+mqtt:\/\/127\.0\.0\.1:\d+\s+ws:\/\/127\.0\.0\.1:\d+/);
  expect(up.output.join('\n')).toMatch(/npx oom-bonker bonk --device tux --wait/);
  expect(up.output.join('\n')).toMatch(/^ {2}device {3}tux \(servo driver: simulated\)$/m);
  const page = await fetch(`${edgeUrl}/`);
  expect(page.status).toBe(200);
  expect(await page.text()).toMatch(/OOM Bonker/);
  const settings = (await (await fetch(`${edgeUrl}/dashboard/config.json`)).json()) as { mqttUrl: string };
  expect(settings.mqttUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
  expect(settings.mqttUrl).not.toBe('ws://127.0.0.1:9001');

  const response = await fetch(`${edgeUrl}/alertmanager`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(fixtures.firingOne),
  });
  expect(response.status).toBe(200);
  const bonk = await up.waitForLog((line) => line.msg === 'bonk');
  expect(bonk).toMatchObject({ source: 'alertmanager', namespace: 'bonk', pod: 'memory-eater', container: 'eater' });
  await up.waitForLog((line) => line.msg === 'ack' && line.result === 'done');

  const stoppedAt = Date.now();
  up.kill('SIGINT');
  expect(await up.exited).toEqual({ code: 0, signal: null });
  expect(Date.now() - stoppedAt).toBeLessThan(6_000);
  expect(up.logs.some((line) => line.msg === 'device agent stopped')).toBe(true);
});
