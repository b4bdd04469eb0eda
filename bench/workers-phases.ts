// Where figure 4's time goes: a TCP tap between the Worker and the broker timestamps every MQTT packet, so each
// sequential POST splits into entry (HTTP in → TCP accept / PUBLISH), the MQTT exchanges, and the answer's way back.
// Run alone: npx tsx bench/workers-phases.ts [requests]
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import mqttPacket from 'mqtt-packet';
import { silentLogger } from '../contract/index.ts';
import { testBrokerConfig } from '../test/helpers/broker-test-support.ts';
import { startBroker } from '../broker/start-broker.ts';
import { fixtures } from '../test/fixtures/index.ts';
import { startWranglerDev } from '../test/workerd/wrangler-dev.ts';
import { percentile } from './stats.ts';
import { BARE_WORKER } from './workers-latency.ts';

interface Tapped { t: number; dir: 'up' | 'down'; cmd: string }

/** Pipes to the broker and records (time, direction, packet type) of every packet, one list per connection. */
async function startTap(brokerPort: number) {
  const connections: { accepted: number; packets: Tapped[] }[] = [];
  const server = net.createServer((client) => {
    const record = { accepted: performance.now(), packets: [] as Tapped[] };
    connections.push(record);
    const upstream = net.connect(brokerPort, '127.0.0.1');
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const watch = (from: net.Socket, to: net.Socket, dir: Tapped['dir']) => {
      const parser = mqttPacket.parser({ protocolVersion: 4 });
      let at = 0;
      parser.on('packet', (packet) => record.packets.push({ t: at, dir, cmd: packet.cmd }));
      from.on('data', (chunk) => {
        at = performance.now();
        to.write(chunk);
        parser.parse(chunk);
      });
      from.on('close', () => to.destroy());
      from.on('error', () => to.destroy());
    };
    watch(client, upstream, 'up');
    watch(upstream, client, 'down');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, connections, close: () => new Promise((r) => server.close(r)) };
}

async function post(url: string, i: number, path = '/alertmanager'): Promise<{ sent: number; answered: number }> {
  const alert = { ...fixtures.firingOne.alerts[0]!, fingerprint: `phase-${i}` };
  const body = JSON.stringify({ ...fixtures.firingOne, alerts: [alert] });
  const sent = performance.now();
  const init = path === '/healthz' ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body };
  const response = await fetch(`${url}${path}`, init);
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`${path} answered ${response.status}`);
  return { sent, answered: performance.now() };
}

type Phases = Record<string, number[]>;
const add = (phases: Phases, name: string, value: number | undefined) => {
  if (value !== undefined && Number.isFinite(value)) (phases[name] ??= []).push(value);
};
/** What each packet is, seen from the Worker: ↑ sent by it, ↓ sent by the broker. */
const NAMES: Record<string, string> = { up: '↑', down: '↓' };

async function timeRoute(url: string, path: string, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n + 20; i++) {
    const { sent, answered } = await post(url, i, path);
    if (i >= 20) times.push(answered - sent);
  }
  return times;
}

/** Per request: when (ms after the HTTP request left) the Worker's TCP connection came and each packet passed. */
async function phasesOf(url: string, tap: Awaited<ReturnType<typeof startTap>>, n: number): Promise<Phases> {
  const phases: Phases = {};
  for (let i = 0; i < n + 20; i++) {
    const before = tap.connections.length;
    const { sent, answered } = await post(url, 1_000_000 + i);
    if (i < 20) continue;
    const opened = tap.connections.length > before;
    const conn = opened ? tap.connections[before]! : tap.connections.at(-1)!;
    if (opened) add(phases, 'TCP connection accepted', conn.accepted - sent);
    const seen = new Set<string>();
    for (const packet of conn.packets.filter((p) => p.t >= sent && p.t <= answered)) {
      const name = `${NAMES[packet.dir]} ${packet.cmd.toUpperCase()}`;
      if (!seen.has(name)) add(phases, name, packet.t - sent);
      seen.add(name);
    }
    add(phases, 'HTTP answer received', answered - sent);
  }
  return phases;
}

const line = (name: string, values: number[]) =>
  `  ${name.padEnd(30)} p50 ${percentile(values, 0.5).toFixed(2)} ms  p90 ${percentile(values, 0.9).toFixed(2)} ms`;

const requests = Number(process.argv[2] ?? 200);
const broker = await startBroker(testBrokerConfig(), silentLogger);
const tap = await startTap(broker.mqttPort);
const vars = { BONKER_BROKER_URL: `mqtt://127.0.0.1:${tap.port}`, BONKER_EDGE_HOST: '127.0.0.1', BONKER_LOG_LEVEL: 'warn' };
const bare = await startWranglerDev({}, 30_000, BARE_WORKER);
const perRequest = await startWranglerDev(vars);
const durable = await startWranglerDev({ ...vars, BONKER_EDGE_WORKER_MODE: 'durable-object' });
try {
  console.log(`${requests} sequential requests each, after 20 warm-up`);
  console.log(line('bare Worker GET /', await timeRoute(bare.url, '/', requests)));
  console.log(line('edge Worker GET /healthz', await timeRoute(perRequest.url, '/healthz', requests)));
  console.log(line('DO mode GET /healthz', await timeRoute(durable.url, '/healthz', requests)));
  for (const [label, dev] of [['per-request', perRequest], ['durable-object', durable]] as const) {
    console.log(`${label} POST /alertmanager, ms after the request left (↑ Worker → broker, ↓ broker → Worker):`);
    for (const [name, values] of Object.entries(await phasesOf(dev.url, tap, requests))) console.log(line(name, values));
  }
} finally {
  await Promise.all([bare.close(), perRequest.close(), durable.close()]);
  await tap.close();
  await broker.close();
}
