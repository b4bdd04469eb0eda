// Runs rows of the shared edge case table against a real edge: one wrangler dev per distinct setting set, one play.
import { EDGE_CASE_ENV, edgeCaseRequest, edgeCases, type EdgeCase } from '../helpers/edge-cases.ts';
import { checkEdgeCase } from '../helpers/edge-case-check.ts';
import { FRONT_MODE, startCaseWorld, type CaseWorld } from './case-world.ts';
import { startWranglerDev, type WranglerDev } from './wrangler-dev.ts';

const settingsKey = (edgeCase: EdgeCase) => JSON.stringify(edgeCase.env ?? {});

export interface WorkersPerSetting {
  urlFor(edgeCase: EdgeCase): string;
  close(): Promise<void>;
}

export interface CaseRun {
  world: CaseWorld;
  workers: WorkersPerSetting;
  close(): Promise<void>;
}

/** The case world and a dev server per setting set of the table, `extra` added to each set. */
export async function startCaseRun(extra: Record<string, string> = {}): Promise<CaseRun> {
  const world = await startCaseWorld();
  let workers: WorkersPerSetting;
  try {
    workers = await startWorkersPerSetting(world, extra);
  } catch (error) {
    await world.close();
    throw error;
  }
  return {
    world,
    workers,
    async close() {
      await workers.close();
      await world.close();
    },
  };
}

/** One dev server per distinct setting set of the table, started together, since each takes a few seconds. */
async function startWorkersPerSetting(world: CaseWorld, extra: Record<string, string> = {}): Promise<WorkersPerSetting> {
  const workers = new Map<string, WranglerDev>();
  const close = () => Promise.all([...workers.values()].map((w) => w.close())).then(() => undefined);
  const distinct = [...new Map(edgeCases.map((c) => [settingsKey(c), c.env ?? {}])).entries()];
  const started = await Promise.allSettled(
    distinct.map(async ([key, env]) => {
      const vars = { ...EDGE_CASE_ENV, ...env, BONKER_BROKER_URL: world.front.url, BONKER_EDGE_HOST: '127.0.0.1', ...extra };
      workers.set(key, await startWranglerDev(vars as Record<string, string>));
    }),
  );
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await close();
    throw failed.reason;
  }
  return { urlFor: (edgeCase) => workers.get(settingsKey(edgeCase))!.url, close };
}

/**
 * Plays one row: broker behaviour set, request sent, bonks that reached the broker collected, row checked.
 * `beforeSilence` opens a connection the edge keeps (Node, Durable Object) before a `hangs` row silences the broker.
 */
export async function playEdgeCase(
  world: CaseWorld,
  edgeCase: EdgeCase,
  baseUrl: string,
  beforeSilence?: () => Promise<unknown>,
): Promise<void> {
  const mode = FRONT_MODE[edgeCase.publisher ?? 'stores'];
  if (mode === 'hangs') await beforeSilence?.();
  await world.front.setMode(mode);
  const before = world.received.length;
  const send = () => fetch(edgeCaseRequest(edgeCase, baseUrl));
  const response = edgeCase.publisher === 'acks' ? await world.withDevice(send) : await send();
  await world.front.setMode('up');
  await world.barrier();
  // The subscriber's filter is bonker/+/bonk: the level in between is the device.
  const bonks = world.received.slice(before).map(({ topic, command }) => ({ id: command.id, device: topic.split('/')[1]! }));
  await checkEdgeCase(edgeCase, response, bonks, 'any');
}
