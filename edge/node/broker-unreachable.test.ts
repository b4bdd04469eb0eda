// The edge's mqtt.js connection to a broker that is down, then up: one warning with the cause and no stack, counted
// attempts instead of a line per retry, and one line when the broker is reached again. Real sockets throughout.
import net from 'node:net';
import { Aedes } from 'aedes';
import { afterEach, expect, it } from 'vitest';
import { createTopics } from '../../contract/index.ts';
import { freePort } from '../../test/helpers/free-port.ts';
import { createRecordingLogger, type LogEntry } from '../../test/helpers/recording-logger.ts';
import { waitForEvent, waitUntil } from '../../test/helpers/wait.ts';
import { createMqttPublisher, type MqttBonkPublisher } from './publisher.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it('logs an unreachable broker once with its cause, then a count per window, then once reached again', async () => {
  const port = await freePort();
  const logger = createRecordingLogger();
  const nextLine = (accept: (entry: LogEntry) => boolean, timeoutMs = 8_000) =>
    waitForEvent<[LogEntry]>(logger.events, 'line', { timeoutMs, accept }).then(([entry]) => entry);
  const url = `mqtt://edge:hunter2@127.0.0.1:${port}`;
  const still = nextLine((e) => /^still cannot reach/.test(e.msg ?? ''));
  const publisher: MqttBonkPublisher = await createMqttPublisher({
    url, topics: createTopics(), publishTimeoutMs: 200, logger, unreachableLogWindowMs: 2_500,
  });
  cleanups.push(() => publisher.close());

  const summary = await still;
  const warnings = logger.entries.filter((e) => e.level === 'warn' && /reach the broker/.test(e.msg ?? ''));
  expect(warnings[0]!.msg).toBe(`cannot reach the broker at mqtt://edge:***@127.0.0.1:${port} (ECONNREFUSED); retrying every second`);
  expect(summary.msg).toMatch(new RegExp(`^still cannot reach the broker at mqtt://edge:\\*\\*\\*@127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\), [2-9] attempts in the last 2\\.5 s$`));
  // Two lines for three or more attempts, neither carrying an error object (its stack) or the password.
  expect(warnings).toHaveLength(2);
  for (const entry of logger.entries) {
    expect(entry.obj).not.toHaveProperty('err');
    expect(JSON.stringify(entry)).not.toContain('hunter2');
  }

  const reached = nextLine((e) => /^reached the broker/.test(e.msg ?? ''));
  const aedes = await Aedes.createBroker();
  const server = net.createServer(aedes.handle);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => { server.close(() => resolve()); aedes.close(); }));
  expect((await reached).msg).toMatch(/again after \d+ failed attempts$/);
  await waitUntil(publisher.events, 'ready', () => publisher.isReady());
});
