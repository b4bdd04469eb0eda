// The edge Worker inside workerd (wrangler dev) publishing to a real Aedes on loopback: the required cases.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertBonkId } from '../../contract/index.ts';
import { fixtures } from '../fixtures/index.ts';
import { distinctAlert, expectConcurrentPostsPublished, startWorkerWorld, type WorkerWorld } from './worker-world.ts';
import { errorLines } from './wrangler-dev.ts';

const TOKEN = 'workerd-test-token';
let world: WorkerWorld;

beforeAll(async () => {
  world = await startWorkerWorld(TOKEN);
}, 60_000);

afterAll(async () => {
  await world?.close();
});

describe('the edge Worker in workerd', () => {
  it('publishes a firing alert to bonker/tux/bonk with the episode id', async () => {
    const response = await world.post(fixtures.firingOne);
    const id = await alertBonkId(fixtures.firingOne.alerts[0]!);
    expect(await response.json()).toEqual({ published: [id], coalesced: 0 });
    await world.arrived(1);
    expect(world.received).toEqual([{ topic: 'bonker/tux/bonk', id }]);
  });

  it('answers a re-sent alert from its isolate\'s memory (BONKER_EDGE_REPEAT_WINDOW_S) without publishing it again', async () => {
    const alert = distinctAlert(1, 'repeat');
    const id = await alertBonkId(alert.alerts[0]!);
    const first = world.received.length;
    expect(await (await world.post(alert)).json()).toEqual({ published: [id], coalesced: 0 });
    // The same notification again, as Alertmanager re-sends it: stored already, so not published again.
    expect(await (await world.post(alert)).json()).toEqual({ published: [id], repeated: 1, coalesced: 0 });
    // A distinct alert after it, as a barrier: once it arrived, a second copy of the first would have too.
    const barrier = distinctAlert(2, 'repeat');
    await world.post(barrier);
    await world.arrived(first + 2);
    expect(world.received.slice(first).map((r) => r.id)).toEqual([id, await alertBonkId(barrier.alerts[0]!)]);
  });

  it('answers /readyz after a CONNECT/CONNACK round trip', async () => {
    const response = await fetch(`${world.worker.url}/readyz`);
    expect(response.status).toBe(200);
  });

  it('publishes 50 concurrent notifications, all answered 200, with no errors in workerd', async () => {
    await expectConcurrentPostsPublished(world, Array.from({ length: 50 }, (_, i) => distinctAlert(i)));
    expect(errorLines(world.worker.output)).toEqual([]);
  });

  it('answers 401 to a wrong token and publishes nothing', async () => {
    const before = world.received.length;
    const response = await world.post(distinctAlert(99), 'not-the-token');
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: string }).error).toMatch(/not accepted/);
    expect(world.worker.output.join('\n')).not.toContain('not-the-token');
    expect(world.received.length).toBe(before);
  });

  it('never logs the token', () => {
    expect(world.worker.output.join('\n')).not.toContain(TOKEN);
  });

  // Last: it stops the broker.
  it('answers 503 when the broker is down, and /readyz says not ready', async () => {
    await world.stopBroker();
    const response = await world.post(distinctAlert(100));
    expect(response.status).toBe(503);
    expect(((await response.json()) as { error: string }).error).toMatch(/not stored by the broker: not connected/);
    const ready = await fetch(`${world.worker.url}/readyz`);
    expect(ready.status).toBe(503);
  });
});
