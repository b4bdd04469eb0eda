// The edge Worker in Durable Object mode inside workerd (wrangler dev): one held broker connection, a real Aedes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertBonkId } from '../../contract/index.ts';
import { fixtures } from '../fixtures/index.ts';
import { distinctAlert, expectConcurrentPostsPublished, startWorkerWorld, type WorkerWorld } from './worker-world.ts';
import { errorLines } from './wrangler-dev.ts';

const TOKEN = 'workerd-do-test-token';
let world: WorkerWorld;

beforeAll(async () => {
  world = await startWorkerWorld(TOKEN, { BONKER_EDGE_WORKER_MODE: 'durable-object' });
}, 60_000);

afterAll(async () => {
  await world?.close();
});

const post = (body: unknown, token?: string) => world.post(body, token);
const alert = (i: number) => distinctAlert(i, 'd');

/** Client ids of the edge's held connections, as the broker sees them. */
const edgeClients = () =>
  Object.keys((world.broker.aedes as unknown as { clients: Record<string, unknown> }).clients).filter((id) =>
    id.startsWith('bonker-edge-do-'),
  );

describe('the edge Worker in Durable Object mode', () => {
  it('publishes a firing alert to bonker/tux/bonk with the episode id', async () => {
    const response = await post(fixtures.firingOne);
    const id = await alertBonkId(fixtures.firingOne.alerts[0]!);
    expect(await response.json()).toEqual({ published: [id], coalesced: 0 });
    await world.arrived(1);
    expect(world.received).toEqual([{ topic: 'bonker/tux/bonk', id }]);
  });

  it('keeps ONE broker connection across requests', async () => {
    const first = edgeClients();
    expect(first).toHaveLength(1);
    expect((await post(alert(1000))).status).toBe(200);
    expect(edgeClients()).toEqual(first);
  });

  it('publishes 50 concurrent notifications, all answered 200, over the same connection', async () => {
    const before = edgeClients();
    await expectConcurrentPostsPublished(world, Array.from({ length: 50 }, (_, i) => alert(i)));
    expect(edgeClients()).toEqual(before);
    expect(errorLines(world.worker.output)).toEqual([]);
  });

  it('answers 401 to a wrong token', async () => {
    expect((await post(alert(99), 'not-the-token')).status).toBe(401);
  });

  it('reconnects on the next request after the broker restarted, answering 200 at once', async () => {
    await world.restartBroker();
    const start = world.received.length;
    const response = await post(alert(2000));
    expect(response.status).toBe(200);
    await world.arrived(start + 1);
    expect(edgeClients()).toHaveLength(1);
  });

  // Last: it stops the broker.
  it('answers 503 while the broker is down, and /readyz says not ready', async () => {
    await world.stopBroker();
    const response = await post(alert(3000));
    expect(response.status).toBe(503);
    expect(((await response.json()) as { error: string }).error).toMatch(/not stored by the broker/);
    expect((await fetch(`${world.worker.url}/readyz`)).status).toBe(503);
    expect(world.worker.output.join('\n')).not.toContain(TOKEN);
  });
});
