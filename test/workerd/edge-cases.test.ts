// The shared edge case table (edge/edge-cases.ts) over real HTTP against both builds: the Worker in workerd
// (wrangler dev) and the Node edge, each publishing to a real Aedes through a front that plays each broker behaviour.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, type Env } from '../../contract/index.ts';
import { loadEdgeConfig } from '../../edge/config.ts';
import { EDGE_CASE_ENV, edgeCaseRequest, edgeCases, type EdgeCase } from '../../edge/edge-cases.ts';
import { startEdge } from '../../edge/node.ts';
import { waitForEvent } from '../helpers/wait.ts';
import { checkEdgeCase, FRONT_MODE, startCaseWorld, type CaseWorld } from './case-world.ts';
import { startWranglerDev, type WranglerDev } from './wrangler-dev.ts';

let world: CaseWorld;
const workers = new Map<string, WranglerDev>();
const envKey = (edgeCase: EdgeCase) => JSON.stringify(edgeCase.env ?? {});

beforeAll(async () => {
  world = await startCaseWorld();
  // One dev server per distinct setting set; started together, since each takes a few seconds.
  const distinct = [...new Map(edgeCases.map((c) => [envKey(c), c.env ?? {}])).entries()];
  const started = await Promise.allSettled(
    distinct.map(async ([key, env]) => {
      const vars = { ...EDGE_CASE_ENV, ...env, BONKER_BROKER_URL: world.front.url, BONKER_EDGE_HOST: '127.0.0.1' };
      workers.set(key, await startWranglerDev(vars as Record<string, string>));
    }),
  );
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
}, 90_000);

afterAll(async () => {
  await Promise.all([...workers.values()].map((w) => w.close()));
  await world?.close();
});

/** Plays one row: broker behaviour set, request sent, bonks that reached the broker collected, row checked. */
async function play(edgeCase: EdgeCase, baseUrl: string) {
  const mode = FRONT_MODE[edgeCase.publisher ?? 'stores'];
  await world.front.setMode(mode);
  const before = world.received.length;
  const send = () => fetch(edgeCaseRequest(edgeCase, baseUrl));
  const response = edgeCase.publisher === 'acks' ? await world.withDevice(send) : await send();
  await world.front.setMode('up');
  await world.barrier();
  await checkEdgeCase(edgeCase, response, world.received.slice(before));
}

describe('edge cases against the Worker in workerd (wrangler dev)', () => {
  it.each(edgeCases.map((c) => [c.name, c] as const))('%s', async (_, edgeCase) => {
    await play(edgeCase, workers.get(envKey(edgeCase))!.url);
  });
});

describe('edge cases against the Node edge', () => {
  it.each(edgeCases.map((c) => [c.name, c] as const))('%s', async (_name, edgeCase) => {
    await playOnNode(edgeCase);
  });
});

async function playOnNode(edgeCase: EdgeCase) {
  const mode = FRONT_MODE[edgeCase.publisher ?? 'stores'];
  // A broker that goes silent is one the Node edge was connected to: connect first, then silence it.
  await world.front.setMode(mode === 'hangs' ? 'up' : mode);
  const env: Env = { ...EDGE_CASE_ENV, ...edgeCase.env, BONKER_BROKER_URL: world.front.url, BONKER_EDGE_PORT: '0' };
  const edge = await startEdge(loadEdgeConfig(env), silentLogger);
  try {
    if (mode !== 'down') await waitUntilReady(edge.events, edge);
    await play(edgeCase, `http://127.0.0.1:${edge.port}`);
  } finally {
    await edge.close();
  }
}

async function waitUntilReady(events: import('node:events').EventEmitter, edge: { port: number }) {
  const ready = await fetch(`http://127.0.0.1:${edge.port}/readyz`).then((r) => r.ok);
  if (!ready) await waitForEvent(events, 'ready');
}
