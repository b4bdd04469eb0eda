// Figures 2 and 3: alert-to-strike latency over the whole chain at a steady rate, bundled broker beside Mosquitto.
import type { EventEmitter } from 'node:events';
import http from 'node:http';
import { alertBonkId } from '../contract/index.ts';
import { fixtures } from '../test/fixtures/index.ts';
import { startMosquitto } from '../test/helpers/mosquitto.ts';
import { startRole, untilEvent, type RoleMessage } from './proc.ts';
import { latencySummary, percentile, preciseNow, type Row } from './stats.ts';

export interface LatencyOptions {
  ratePerS: number;
  warmup: number;
  requests: number;
}

/** The agent's pacing switched off for this run only, as the issue asks: no gap, no motion time, a high cap. */
export const FAST_DEVICE_ENV = {
  BONKER_MIN_GAP_MS: '0', BONKER_SERVO_TRAVEL_MS: '0', BONKER_SERVO_HOLD_MS: '0', BONKER_MAX_PER_MINUTE: '10000',
};

interface Strike {
  /** edge's `at` → first strike pulse */
  edge: number;
  /** bench's request sent → first strike pulse */
  client: number;
}

function post(agent: http.Agent, port: number, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, path: '/alertmanager', method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (response) => {
      response.resume().on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** Open loop: request i leaves at start + i / rate whatever the answers do, as Alertmanager would not wait either. */
async function drive(edgePort: number, device: { events: EventEmitter }, label: string, options: LatencyOptions) {
  const total = options.warmup + options.requests;
  // bonk id (what the device reports) → [request index, when the bench sent it]
  const sent = new Map<string, [number, number]>();
  const strikes: Strike[] = [];
  let seen = 0;
  const onMessage = (message: RoleMessage) => {
    if (message.type !== 'strike') return;
    seen++;
    const [index, sentAt] = sent.get(message.id as string) ?? [-1, 0];
    if (index < options.warmup) return;
    strikes.push({ edge: Number(message.pulse) - Number(message.at), client: Number(message.pulse) - sentAt });
  };
  device.events.on('message', onMessage);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const answers: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / options.ratePerS;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const alert = { ...fixtures.firingOne.alerts[0]!, fingerprint: `${label}-${i}-${start}` };
    const body = JSON.stringify({ ...fixtures.firingOne, alerts: [alert] });
    // The id is computed before sending, so the map is complete before the strike can be reported.
    sent.set(await alertBonkId(alert), [i, preciseNow()]);
    answers.push(post(agent, edgePort, body).then((status) => {
      if (status !== 200) throw new Error(`${label}: request ${i} answered ${status}`);
    }));
  }
  await Promise.all(answers);
  try {
    if (seen < total) await untilEvent(device.events, 'message', () => seen >= total, 30_000);
  } catch {
    throw new Error(`${label}: ${total - seen} of ${total} bonks did not strike within 30 s`);
  } finally {
    device.events.off('message', onMessage);
    agent.destroy();
  }
  return strikes;
}

/** Broker, edge and agent, each its own process; the broker is the bundled one or Mosquitto. */
async function chain(kind: 'bundled' | 'mosquitto', options: LatencyOptions, brokerEnv: Record<string, string> = {}): Promise<Strike[]> {
  const closers: (() => Promise<void>)[] = [];
  try {
    let brokerUrl: string;
    if (kind === 'mosquitto') {
      const mosquitto = await startMosquitto();
      closers.push(() => mosquitto.close());
      brokerUrl = mosquitto.url;
    } else {
      const broker = await startRole('broker', { BONKER_LOG_LEVEL: 'warn', ...brokerEnv });
      closers.push(() => broker.close());
      brokerUrl = `mqtt://127.0.0.1:${broker.ready.port}`;
    }
    const device = await startRole('device', { ...FAST_DEVICE_ENV, BONKER_BROKER_URL: brokerUrl });
    closers.push(() => device.close());
    const edge = await startRole('edge', { BONKER_BROKER_URL: brokerUrl });
    closers.push(() => edge.close());
    return await drive(Number(edge.ready.port), device, kind, options);
  } finally {
    for (const close of closers.reverse()) await close();
  }
}

export async function latencyFigures(options: LatencyOptions): Promise<Row[]> {
  const bundled = await chain('bundled', options);
  const mosquitto = await chain('mosquitto', options);
  // Not durable (the bundled broker's store kept in memory): what LevelDB costs on the path to the device.
  const inMemory = await chain('bundled', options, { BONKER_PERSISTENCE: 'memory' });
  const p = (strikes: Strike[], q: number, key: keyof Strike = 'edge') => percentile(strikes.map((s) => s[key]), q);
  const load = `${options.ratePerS}/s, ${options.requests} alerts`;
  const [p50, p99] = [p(bundled, 0.5), p(bundled, 0.99)];
  return [
    { figure: '2', what: `edge received → first strike pulse, bundled broker (${load})`,
      value: latencySummary(bundled.map((s) => s.edge)), baseline: `Mosquitto p50 ${p(mosquitto, 0.5).toFixed(2)} ms`,
      ratio: p50 / p(mosquitto, 0.5), goal: 'p50 ≤ 1 ms, p99 ≤ 5 ms', met: p50 <= 1 && p99 <= 5 },
    { figure: '2', what: 'same, from the bench sending the POST (adds HTTP client + parsing)',
      value: latencySummary(bundled.map((s) => s.client)), baseline: '', goal: '' },
    { figure: '2', what: 'baseline: bundled broker with BONKER_PERSISTENCE=memory (not durable; the cost of LevelDB)',
      value: latencySummary(inMemory.map((s) => s.edge)), baseline: `level p50 ${p50.toFixed(2)} ms`,
      ratio: p50 / p(inMemory, 0.5), goal: '' },
    { figure: '3', what: `same chain with Mosquitto 2.0 as the relay (${load})`,
      value: latencySummary(mosquitto.map((s) => s.edge)), baseline: `bundled p50 ${p50.toFixed(2)} ms`,
      ratio: p50 / p(mosquitto, 0.5), goal: 'bundled p50 ≤ 1.2× Mosquitto', met: p50 <= 1.2 * p(mosquitto, 0.5) },
  ];
}
