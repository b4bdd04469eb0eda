// Figure 4: publish latency of the edge in workerd (wrangler dev; per-request connect and Durable Object mode) and on
// Node, against the bundled broker, beside a bare Worker that only answers 200 (the floor of wrangler dev + workerd).
// Run alone: npx tsx bench/workers-latency.ts [requests]   Prints p50/p95/p99 of POST → 200 (QoS 2 stored) per build.
// bench/run.ts calls workersFigure() for the results table. Where the time goes: bench/workers-phases.ts.
import { pathToFileURL } from 'node:url';
import { silentLogger } from '../contract/index.ts';
import { testBrokerConfig } from '../test/helpers/broker-test-support.ts';
import { startBroker } from '../broker/start-broker.ts';
import { loadEdgeConfig } from '../edge/core/config.ts';
import { startEdge } from '../edge/node/main.ts';
import { fixtures } from '../test/fixtures/index.ts';
import { startWranglerDev } from '../test/workerd/wrangler-dev.ts';
import { percentile, type Row } from './stats.ts';

/** `wrangler dev` arguments that run bench/workers-bare.ts instead of the edge. */
export const BARE_WORKER = ['bench/workers-bare.ts', '--compatibility-date', '2026-04-01'];

const TARGETS = ['bare', 'workerd', 'durableObject', 'node'] as const;
export type WorkersLatency = Record<(typeof TARGETS)[number], number[]>;

/** One POST of a firing alert of its own (distinct fingerprint, so a distinct bonk); its time to a 200. */
async function timePost(baseUrl: string, label: string, i: number): Promise<number> {
  const alert = { ...fixtures.firingOne.alerts[0]!, fingerprint: `${label}-${i}` };
  const body = JSON.stringify({ ...fixtures.firingOne, alerts: [alert] });
  const started = performance.now();
  const response = await fetch(`${baseUrl}/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`${label}: request ${i} answered ${response.status}`);
  return performance.now() - started;
}

/** Requests in a row to one target before the next takes its turn. */
const BLOCK = 25;

/**
 * Sequential requests in blocks of BLOCK per target, the targets taking turns until each has had `requests`, so the
 * load of this shared machine drifting during the run weighs on every target alike. Blocks rather than single
 * requests: alternating every request between four servers on two cores left each one cold and slowed all of them.
 */
async function measure(urls: Record<keyof WorkersLatency, string>, requests: number, warmup: number): Promise<WorkersLatency> {
  const times: WorkersLatency = { bare: [], workerd: [], durableObject: [], node: [] };
  for (const target of TARGETS) for (let i = 0; i < warmup; i++) await timePost(urls[target], target, -1 - i);
  for (let done = 0; done < requests; done += BLOCK) {
    for (const target of TARGETS) {
      for (let i = done; i < Math.min(requests, done + BLOCK); i++) times[target].push(await timePost(urls[target], target, i));
    }
  }
  return times;
}

/** Every build against one in-memory broker, in the same run; the Node edge and the bare Worker are the baselines. */
export async function measureWorkersLatency(requests: number, warmup: number): Promise<WorkersLatency> {
  const broker = await startBroker(testBrokerConfig(), silentLogger);
  const brokerUrl = `mqtt://127.0.0.1:${broker.mqttPort}`;
  const vars = { BONKER_BROKER_URL: brokerUrl, BONKER_EDGE_HOST: '127.0.0.1', BONKER_LOG_LEVEL: 'warn' };
  const started: { close(): Promise<void> }[] = [broker];
  const start = async <T extends { close(): Promise<void> }>(starting: Promise<T>): Promise<T> => {
    const server = await starting;
    started.push(server);
    return server;
  };
  try {
    const bare = await start(startWranglerDev({}, 30_000, BARE_WORKER));
    const workerd = await start(startWranglerDev(vars));
    const durable = await start(startWranglerDev({ ...vars, BONKER_EDGE_WORKER_MODE: 'durable-object' }));
    const edge = await start(startEdge(loadEdgeConfig({ BONKER_BROKER_URL: brokerUrl, BONKER_EDGE_PORT: '0' }), silentLogger));
    const urls = { bare: bare.url, workerd: workerd.url, durableObject: durable.url, node: `http://127.0.0.1:${edge.port}` };
    return await measure(urls, requests, warmup);
  } finally {
    for (const server of started.reverse()) await server.close();
  }
}

export async function workersFigure(requests: number, warmup: number): Promise<Row[]> {
  const { bare, workerd, durableObject, node } = await measureWorkersLatency(requests, warmup);
  const [p50, p99, nodeP50, bareP50] = [percentile(workerd, 0.5), percentile(workerd, 0.99), percentile(node, 0.5), percentile(bare, 0.5)];
  const [doP50, doP99] = [percentile(durableObject, 0.5), percentile(durableObject, 0.99)];
  return [
    { figure: '4', what: `workerd per-request connect, sequential POST → 200 (QoS 2), ${requests} requests`,
      value: `p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms`, baseline: `Node edge p50 ${nodeP50.toFixed(2)} ms`,
      ratio: p50 / nodeP50, goal: 'p50 ≤ 4 ms', met: p50 <= 4 },
    { figure: '4', what: `workerd Durable Object mode (one held connection), sequential POST → 200 (QoS 2), ${requests} requests`,
      value: `p50 ${doP50.toFixed(2)} ms, p99 ${doP99.toFixed(2)} ms`, baseline: `per-request p50 ${p50.toFixed(2)} ms`,
      ratio: doP50 / p50, goal: 'p50 ≤ 2.5 ms', met: doP50 <= 2.5 },
    { figure: '4', what: `baseline: bare Worker in wrangler dev (reads the body, answers 200), ${requests} requests`,
      value: `p50 ${bareP50.toFixed(2)} ms, p99 ${percentile(bare, 0.99).toFixed(2)} ms`,
      baseline: `per-request p50 ${p50.toFixed(2)} ms, DO p50 ${doP50.toFixed(2)} ms`, goal: 'the floor of local workerd' },
  ];
}

function summary(label: string, times: number[]): string {
  const at = (q: number) => percentile(times, q).toFixed(2);
  return `${label.padEnd(24)} n=${times.length}  p50 ${at(0.5)} ms  p95 ${at(0.95)} ms  p99 ${at(0.99)} ms  max ${Math.max(...times).toFixed(2)} ms`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const requests = Number(process.argv[2] ?? 300);
  const warmup = 20;
  const { bare, workerd, durableObject, node } = await measureWorkersLatency(requests, warmup);
  console.log(`sequential POST /alertmanager → 200 (QoS 2 PUBCOMP), ${requests} requests after ${warmup} warm-up, in turns of ${BLOCK}`);
  console.log(summary('bare Worker (floor)', bare));
  console.log(summary('workerd per-request', workerd));
  console.log(summary('workerd durable-object', durableObject));
  console.log(summary('node (mqtt.js)', node));
}
