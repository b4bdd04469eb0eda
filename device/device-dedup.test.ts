// The agent's dedup across restarts and when the state directory fails, against a real in-process Aedes.
import { appendFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseDeviceInfo, silentLogger } from '../contract/index.ts';
import { startAgentTestBed, type AgentTestBed } from '../test/helpers/agent-test-bed.ts';
import { waitForEvent, waitUntil } from '../test/helpers/wait.ts';
import { loadDeviceConfig } from './config.ts';
import { DEDUP_FILE } from './dedup-store.ts';
import { startDevice } from './start-device.ts';
import type { LogEntry } from '../test/helpers/recording-logger.ts';
import { bonkJson, connectPublisher, topics } from '../test/helpers/test-agent.ts';

describe('device agent dedup', () => {
  let bed: AgentTestBed;

  beforeEach(async () => {
    bed = await startAgentTestBed('bonker-device-', 'dedup');
  });
  afterEach(() => bed.close());

  it('still answers duplicate for an old id after a restart on the same state dir', async () => {
    const first = await bed.startAgent();
    await bed.bonk(bonkJson('persisted'));
    expect((await first.waitForAcks(1))[0]).toMatchObject({ result: 'done' });
    await first.device.close();
    const second = await bed.startAgent();
    await bed.bonk(bonkJson('persisted'));
    expect((await second.waitForAcks(1))[0]).toMatchObject({ id: 'persisted', result: 'duplicate' });
    expect(second.strikes()).toBe(0);
  });

  it('remembers only the last BONKER_DEDUP_SIZE ids', async () => {
    const first = await bed.startAgent({ BONKER_DEDUP_SIZE: '2' });
    for (const id of ['a', 'b', 'c']) await bed.bonk(bonkJson(id));
    await first.waitForAcks(3);
    await first.device.close();
    const second = await bed.startAgent({ BONKER_DEDUP_SIZE: '2' });
    await bed.bonk(bonkJson('c'));
    await bed.bonk(bonkJson('a'));
    const acks = await second.waitForAcks(2);
    expect(acks.map((a) => [a.id, a.result])).toEqual([['c', 'duplicate'], ['a', 'done']]);
  });

  it('starts despite a torn last line and keeps the ids before it', async () => {
    const first = await bed.startAgent();
    await bed.bonk(bonkJson('before-crash'));
    await first.waitForAcks(1);
    await first.device.close();
    await appendFile(path.join(bed.state.path, DEDUP_FILE), '{"id":"half-writ');
    const second = await bed.startAgent();
    await bed.bonk(bonkJson('before-crash'));
    expect((await second.waitForAcks(1))[0]).toMatchObject({ result: 'duplicate' });
  });

  it('refuses to start on an unwritable state dir, saying which and what to do', async () => {
    const file = path.join(bed.state.path, 'not-a-dir');
    await writeFile(file, '');
    const config = loadDeviceConfig({ BONKER_BROKER_URL: bed.broker.url, BONKER_STATE_DIR: path.join(file, 'device') });
    await expect(startDevice(config, silentLogger)).rejects.toThrow(/not-a-dir\/device is not writable .*BONKER_STATE_DIR/);
  });

  it('does not PUBACK while the id cannot be recorded, logs why, and finishes once it can, striking once', async () => {
    const agent = await bed.startAgent();
    const file = path.join(bed.state.path, DEDUP_FILE);
    await rm(file);
    await symlink('/dev/full', file); // every write now fails with ENOSPC, as on a full disk
    const info = await connectPublisher(bed.broker.url, 'dedup-info');
    await info.subscribeAsync(topics.info('tux'), { qos: 1 });
    const storeSaid = (ok: boolean) =>
      waitForEvent<[string, Buffer]>(info, 'message', { accept: (_topic, payload) => parseDeviceInfo(payload)?.store?.ok === ok });
    const failing = storeSaid(false);
    const pubacks: string[] = [];
    // Only the device's PUBACKs of bonks: the info watcher acknowledges what it receives too.
    bed.broker.aedes.on('ack', (packet) => {
      const acked = packet as { topic?: string; payload?: Buffer } | undefined;
      if (acked?.topic === topics.bonk('tux')) pubacks.push(JSON.parse(String(acked.payload)).id);
    });
    const logged = waitForEvent<[LogEntry]>(agent.logger.events, 'line', {
      accept: (e) => e.level === 'error' && /cannot record/.test(e.msg ?? ''),
    });
    await bed.bonk(bonkJson('disk-full'));
    const [line] = await logged;
    expect(String(line.obj.err)).toMatch(/ENOSPC/);
    expect(agent.acks).toEqual([]);
    expect(pubacks).toEqual([]);
    expect(agent.strikes()).toBe(1);
    // The retained info says so, for the page and the broker's bonker_device_dedup_store_ok.
    expect(parseDeviceInfo((await failing)[1])!.store).toMatchObject({ ok: false, failures: 1, error: expect.stringMatching(/ENOSPC/) });
    const recovered = storeSaid(true);
    await rm(file); // disk has room again: the reconnect makes the broker redeliver
    const [ack] = await agent.waitForAcks(1, 10_000);
    expect(ack).toMatchObject({ id: 'disk-full', result: 'done', bonks: 1 });
    await waitUntil(bed.broker.aedes, 'ack', () => pubacks.length > 0);
    expect(pubacks).toEqual(['disk-full']);
    expect(agent.strikes()).toBe(1);
    expect(parseDeviceInfo((await recovered)[1])!.store).toEqual({ ok: true, failures: 1 });
    await info.endAsync();
  });
});
