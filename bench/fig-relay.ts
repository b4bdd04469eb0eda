// Figure 3 (raw relay): throughput with 100 publishes in flight to one online persistent subscriber, bundled vs
// Mosquitto, counting messages stranded (delivered only after a reconnect) or dropped (never delivered).
import mqtt, { type MqttClient } from 'mqtt';
import { startMosquitto } from '../test/helpers/mosquitto.ts';
import { startRole } from './proc.ts';
import { type Row } from './stats.ts';

export interface RelayOptions {
  messages: number;
  inFlight: number;
  /** How long an online subscriber may lag behind the last PUBACK/PUBCOMP before the rest counts as stranded. */
  settleMs: number;
}

interface RelayResult {
  perS: number;
  stranded: number;
  dropped: number;
}

const TOPIC = 'bench/relay';

async function connect(url: string, clientId: string, clean: boolean): Promise<MqttClient> {
  const client = mqtt.connect(url, { clientId, clean, protocolVersion: 4, reconnectPeriod: 0 });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  return client;
}

/** Resolves when `received` reaches `count`, or after `ms` without reaching it (then the rest is late). */
function settle(client: MqttClient, received: Set<number>, count: number, ms: number): Promise<void> {
  return new Promise((resolve) => {
    if (received.size >= count) return resolve();
    const done = () => {
      clearTimeout(timer);
      client.off('message', check);
      resolve();
    };
    const check = () => received.size >= count && done();
    const timer = setTimeout(done, ms);
    client.on('message', check);
  });
}

async function relay(url: string, qos: 1 | 2, options: RelayOptions): Promise<RelayResult> {
  const id = `bench-sub-${qos}-${Date.now()}`;
  let subscriber = await connect(url, id, false);
  await subscriber.subscribeAsync(TOPIC, { qos });
  const received = new Set<number>();
  const onMessage = (_topic: string, payload: Buffer) => received.add(Number(payload.toString()));
  subscriber.on('message', onMessage);
  const publisher = await connect(url, `bench-pub-${qos}-${Date.now()}`, true);
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < options.messages) await publisher.publishAsync(TOPIC, String(next++), { qos });
  };
  await Promise.all(Array.from({ length: options.inFlight }, worker));
  await settle(subscriber, received, options.messages, options.settleMs);
  const perS = (received.size * 1000) / (performance.now() - started);
  const online = received.size;
  // Reconnect the persistent session: what arrives now was stored but not delivered while the subscriber was online.
  await subscriber.endAsync();
  subscriber = await connect(url, id, false);
  subscriber.on('message', onMessage);
  await settle(subscriber, received, options.messages, options.settleMs);
  await Promise.all([subscriber.endAsync(), publisher.endAsync()]);
  return { perS, stranded: received.size - online, dropped: options.messages - received.size };
}

async function bothQos(url: string, options: RelayOptions): Promise<[RelayResult, RelayResult]> {
  return [await relay(url, 1, options), await relay(url, 2, options)];
}

export async function relayFigure(options: RelayOptions): Promise<Row[]> {
  const broker = await startRole('broker', { BONKER_LOG_LEVEL: 'warn' });
  const bundled = await bothQos(`mqtt://127.0.0.1:${broker.ready.port}`, options).finally(() => broker.close());
  const mosquitto = await startMosquitto();
  const theirs = await bothQos(mosquitto.url, options).finally(() => mosquitto.close());
  const lost = (r: RelayResult) => `${r.stranded} stranded, ${r.dropped} dropped`;
  return ([1, 2] as const).flatMap((qos, i) => {
    const [ours, other] = [bundled[i]!, theirs[i]!];
    return [{
      figure: '3', what: `raw relay QoS ${qos}, ${options.inFlight} in flight, ${options.messages} msgs, persistent subscriber`,
      value: `${Math.round(ours.perS)} msg/s; ${lost(ours)}`, baseline: `Mosquitto ${Math.round(other.perS)} msg/s; ${lost(other)}`,
      ratio: ours.perS / other.perS, goal: '0 stranded or dropped (ours)', met: ours.stranded + ours.dropped === 0,
    }];
  });
}
