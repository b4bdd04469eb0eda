// Figure 4: publish latency of the edge in workerd (wrangler dev; per-request connect and Durable Object mode) and on
// Node, against the bundled broker.
// Run alone: npx tsx bench/workers-latency.ts [requests]   Prints p50/p95/p99 of POST → 200 (QoS 2 stored) per build.
// bench/run.ts calls workersFigure() for the results table.
import { pathToFileURL } from 'node:url';
import { silentLogger } from '../contract/index.ts';
import { testBrokerConfig } from '../broker/test-support.ts';
import { startBroker } from '../broker/start-broker.ts';
import { loadEdgeConfig } from '../edge/config.ts';
import { startEdge } from '../edge/node.ts';
import { fixtures } from '../test/fixtures/index.ts';
import { startWranglerDev } from '../test/workerd/wrangler-dev.ts';
import { percentile, type Row } from './stats.ts';

/** Sequential POSTs, each a firing alert of its own (distinct fingerprint, so a distinct bonk). */
async function measure(baseUrl: string, label: string, requests: number, warmup: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < warmup + requests; i++) {
    const alert = { ...fixtures.firingOne.alerts[0]!, fingerprint: `${label}-${i}` };
    const body = JSON.stringify({ ...fixtures.firingOne, alerts: [alert] });
    const started = performance.now();
    const response = await fetch(`${baseUrl}/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`${label}: request ${i} answered ${response.status}`);
    if (i >= warmup) times.push(performance.now() - started);
  }
  return times;
}

function summary(label: string, times: number[]): string {
  const at = (q: number) => percentile(times, q).toFixed(2);
  return `${label.padEnd(22)} n=${times.length}  p50 ${at(0.5)} ms  p95 ${at(0.95)} ms  p99 ${at(0.99)} ms  max ${Math.max(...times).toFixed(2)} ms`;
}

export interface WorkersLatency {
  workerd: number[];
  durableObject: number[];
  node: number[];
}

/** Both builds (the Worker in both modes) against one in-memory broker; the Node edge is the baseline. */
export async function measureWorkersLatency(requests: number, warmup: number): Promise<WorkersLatency> {
  const broker = await startBroker(testBrokerConfig(), silentLogger);
  const brokerUrl = `mqtt://127.0.0.1:${broker.mqttPort}`;
  try {
    const vars = { BONKER_BROKER_URL: brokerUrl, BONKER_EDGE_HOST: '127.0.0.1', BONKER_LOG_LEVEL: 'warn' };
    const worker = await startWranglerDev(vars);
    try {
      const workerd = await measure(worker.url, 'workerd', requests, warmup);
      const durable = await startWranglerDev({ ...vars, BONKER_EDGE_WORKER_MODE: 'durable-object' });
      const durableObject = await measure(durable.url, 'durable-object', requests, warmup).finally(() => durable.close());
      const edge = await startEdge(loadEdgeConfig({ BONKER_BROKER_URL: brokerUrl, BONKER_EDGE_PORT: '0' }), silentLogger);
      try {
        return { workerd, durableObject, node: await measure(`http://127.0.0.1:${edge.port}`, 'node', requests, warmup) };
      } finally {
        await edge.close();
      }
    } finally {
      await worker.close();
    }
  } finally {
    await broker.close();
  }
}

export async function workersFigure(requests: number, warmup: number): Promise<Row[]> {
  const { workerd, durableObject, node } = await measureWorkersLatency(requests, warmup);
  const [p50, p99, nodeP50] = [percentile(workerd, 0.5), percentile(workerd, 0.99), percentile(node, 0.5)];
  const [doP50, doP99] = [percentile(durableObject, 0.5), percentile(durableObject, 0.99)];
  return [
    { figure: '4', what: `workerd per-request connect, sequential POST → 200 (QoS 2), ${requests} requests`,
      value: `p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms`, baseline: `Node edge p50 ${nodeP50.toFixed(2)} ms`,
      ratio: p50 / nodeP50, goal: 'p50 ≤ 4 ms', met: p50 <= 4 },
    { figure: '4', what: `workerd Durable Object mode (one held connection), sequential POST → 200 (QoS 2), ${requests} requests`,
      value: `p50 ${doP50.toFixed(2)} ms, p99 ${doP99.toFixed(2)} ms`, baseline: `per-request p50 ${p50.toFixed(2)} ms`,
      ratio: doP50 / p50, goal: 'p50 ≤ 2.5 ms', met: doP50 <= 2.5 },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const requests = Number(process.argv[2] ?? 300);
  const warmup = 20;
  const { workerd, durableObject, node } = await measureWorkersLatency(requests, warmup);
  console.log(`sequential POST /alertmanager → 200 (QoS 2 PUBCOMP), ${requests} requests after ${warmup} warm-up`);
  console.log(summary('workerd per-request', workerd));
  console.log(summary('workerd durable-object', durableObject));
  console.log(summary('node (mqtt.js)', node));
}
