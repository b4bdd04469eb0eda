// Per-request publish latency of the edge in workerd (wrangler dev) and on Node, against the bundled broker.
// Run: npx tsx bench/workers-latency.ts [requests]   Prints p50/p95/p99 of POST → 200 (QoS 2 stored) per build.
import { silentLogger } from '../contract/index.ts';
import { testBrokerConfig } from '../broker/test-support.ts';
import { startBroker } from '../broker/start-broker.ts';
import { loadEdgeConfig } from '../edge/config.ts';
import { startEdge } from '../edge/node.ts';
import { fixtures } from '../test/fixtures/index.ts';
import { startWranglerDev } from '../test/workerd/wrangler-dev.ts';

const REQUESTS = Number(process.argv[2] ?? 300);
const WARMUP = 20;

/** Sequential POSTs, each a firing alert of its own (distinct fingerprint, so a distinct bonk). */
async function measure(baseUrl: string, label: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < WARMUP + REQUESTS; i++) {
    const alert = { ...fixtures.firingOne.alerts[0]!, fingerprint: `${label}-${i}` };
    const body = JSON.stringify({ ...fixtures.firingOne, alerts: [alert] });
    const started = performance.now();
    const response = await fetch(`${baseUrl}/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`${label}: request ${i} answered ${response.status}`);
    if (i >= WARMUP) times.push(performance.now() - started);
  }
  return times;
}

function summary(label: string, times: number[]): string {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(2);
  return `${label.padEnd(22)} n=${sorted.length}  p50 ${at(0.5)} ms  p95 ${at(0.95)} ms  p99 ${at(0.99)} ms  max ${sorted.at(-1)!.toFixed(2)} ms`;
}

const broker = await startBroker(testBrokerConfig(), silentLogger);
const brokerUrl = `mqtt://127.0.0.1:${broker.mqttPort}`;
const worker = await startWranglerDev({ BONKER_BROKER_URL: brokerUrl, BONKER_EDGE_HOST: '127.0.0.1', BONKER_LOG_LEVEL: 'warn' });
const edge = await startEdge(loadEdgeConfig({ BONKER_BROKER_URL: brokerUrl, BONKER_EDGE_PORT: '0' }), silentLogger);
try {
  const workerd = await measure(worker.url, 'workerd');
  const node = await measure(`http://127.0.0.1:${edge.port}`, 'node');
  console.log(`sequential POST /alertmanager → 200 (QoS 2 PUBCOMP), ${REQUESTS} requests after ${WARMUP} warm-up`);
  console.log(summary('workerd per-request', workerd));
  console.log(summary('node (mqtt.js)', node));
} finally {
  await edge.close();
  await worker.close();
  await broker.close();
}
