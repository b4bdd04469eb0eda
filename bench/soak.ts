// Soak: holds N webhooks/s (each a distinct alert) for T seconds against broker, edge and device run as separate
// `oom-bonker` processes on loopback; reports sent, 2xx (stored by the broker), struck, errors, duplicates, RSS.
// Run: npx tsx bench/soak.ts --rate 200 --seconds 60 [--drain 30]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { parseAck, type Ack } from '../contract/index.ts';
import { fixtures } from '../test/fixtures/index.ts';
import { startBonker, type BonkerProcess } from '../test/helpers/child-process.ts';
import { freePort } from '../test/helpers/free-port.ts';
import { makeTempDir } from '../test/helpers/temp-dir.ts';

const { values } = parseArgs({ options: { rate: { type: 'string', default: '200' }, seconds: { type: 'string', default: '60' }, drain: { type: 'string', default: '30' } } });
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const DRAIN_S = Number(values.drain);

function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

async function startParts(dir: string) {
  const [mqttPort, edgePort] = [await freePort(), await freePort()];
  const brokerUrl = `mqtt://127.0.0.1:${mqttPort}`;
  // warn: per-request info lines would cost the soak itself memory and CPU; refusals still show.
  const common = { BONKER_LOG_LEVEL: 'warn', BONKER_BROKER_URL: brokerUrl };
  const broker = startBonker(['broker'], {
    ...common, BONKER_BROKER_PORT: String(mqttPort), BONKER_BROKER_WS_PORT: 'off', BONKER_BROKER_HTTP_PORT: 'off', BONKER_DATA_DIR: `${dir}/broker`,
  });
  const acks = await mqtt.connectAsync(brokerUrl, { protocolVersion: 4, reconnectPeriod: 200 }).catch(async () => {
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // the broker is still starting; one retry
    return mqtt.connectAsync(brokerUrl, { protocolVersion: 4, reconnectPeriod: 200 });
  });
  await acks.subscribeAsync('bonker/tux/ack', { qos: 1 });
  // Zero motion and no duty limit to speak of: the soak measures the chain, not the rate limiter.
  const device = startBonker(['device'], {
    ...common, BONKER_STATE_DIR: `${dir}/device`, BONKER_SERVO_TRAVEL_MS: '1', BONKER_SERVO_HOLD_MS: '0', BONKER_MIN_GAP_MS: '0',
    BONKER_MAX_PER_MINUTE: '1000000', BONKER_DEDUP_SIZE: '1000000',
  });
  const edge = startBonker(['edge'], { ...common, BONKER_EDGE_PORT: String(edgePort) });
  return { broker, device, edge, acks, edgeUrl: `http://127.0.0.1:${edgePort}` };
}

/** Ready when a probe webhook is answered 200 and its ack comes back from the device. */
async function waitReady(edgeUrl: string, acked: Map<string, Ack[]>) {
  // Generous: on a busy 2-core machine three tsx processes take a while to start.
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const status = await post(edgeUrl, 'probe').catch(() => 0);
    if (status === 200 && acked.size > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error('the chain did not come up within 90 s');
}

/** Bonk ids the edge answered 200 for: only their acks count (late probe acks do not). */
const published = new Set<string>();

function post(edgeUrl: string, key: string): Promise<number> {
  const alert = { ...fixtures.firingOne.alerts[0]!, fingerprint: `soak-${key}`, startsAt: new Date().toISOString() };
  return fetch(`${edgeUrl}/alertmanager`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...fixtures.firingOne, alerts: [alert] }),
  }).then(async (response) => {
    const body = (await response.json()) as { published?: string[] };
    if (key !== 'probe') for (const id of body.published ?? []) published.add(id);
    return response.status;
  });
}

async function main() {
  const dir = await makeTempDir('bonker-soak-');
  const parts = await startParts(dir.path);
  const processes: [string, BonkerProcess][] = [['broker', parts.broker], ['edge', parts.edge], ['device', parts.device]];
  const acked = new Map<string, Ack[]>();
  parts.acks.on('message', (_topic, payload) => {
    const ack = parseAck(payload);
    if (ack) acked.set(ack.id, [...(acked.get(ack.id) ?? []), ack]);
  });
  try {
    await waitReady(parts.edgeUrl, acked);
    acked.clear();
    const rssStart = Object.fromEntries(processes.map(([name, p]) => [name, rssMb(p.child.pid!)]));
    const counts = { sent: 0, ok: 0, non2xx: 0, errors: 0 };
    const statuses: Record<string, number> = {};
    const inFlight = new Set<Promise<void>>();
    const started = performance.now();
    // Open loop: requests go out on schedule whether or not earlier ones were answered.
    while (performance.now() - started < SECONDS * 1000) {
      const due = Math.floor(((performance.now() - started) / 1000) * RATE);
      for (; counts.sent < due; counts.sent++) {
        const request = post(parts.edgeUrl, String(counts.sent)).then(
          (status) => {
            statuses[status] = (statuses[status] ?? 0) + 1;
            if (status >= 200 && status < 300) counts.ok++;
            else counts.non2xx++;
          },
          () => void counts.errors++,
        );
        inFlight.add(request);
        void request.finally(() => inFlight.delete(request));
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await Promise.all(inFlight);
    const sendSeconds = (performance.now() - started) / 1000;
    // Drain: wait until every stored bonk is acked, or no new ack arrives for DRAIN_S.
    let last = -1;
    let quietSince = performance.now();
    while (acked.size < published.size && performance.now() - quietSince < DRAIN_S * 1000) {
      if (acked.size !== last) [last, quietSince] = [acked.size, performance.now()];
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const rssEnd = Object.fromEntries(processes.map(([name, p]) => [name, rssMb(p.child.pid!)]));
    const all = [...published].map((id) => acked.get(id) ?? []).filter((list) => list.length > 0);
    const byResult: Record<string, number> = {};
    for (const list of all) for (const ack of list) byResult[ack.result] = (byResult[ack.result] ?? 0) + 1;
    const report = {
      rate: RATE, seconds: SECONDS, achievedRate: Number((counts.sent / sendSeconds).toFixed(1)),
      sent: counts.sent, stored2xx: counts.ok, non2xx: counts.non2xx, statuses, errors: counts.errors,
      publishedIds: published.size, ackedIds: all.length, struck: byResult.done ?? 0, acksByResult: byResult,
      missing: published.size - all.length,
      duplicateAcks: all.filter((list) => list.length > 1).length,
      doubleStrikes: all.filter((list) => list.filter((a) => a.result === 'done').length > 1).length,
      strikesMade: all.flat().reduce((sum, ack) => sum + ack.bonks, 0),
      rssMb: Object.fromEntries(processes.map(([name]) => [name, { start: Number(rssStart[name]!.toFixed(1)), end: Number(rssEnd[name]!.toFixed(1)) }])),
      crashes: processes.filter(([, p]) => p.child.exitCode !== null).map(([name]) => name),
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await parts.acks.endAsync(true);
    for (const [, p] of processes) p.kill('SIGTERM');
    await Promise.all(processes.map(([, p]) => p.exited));
    await dir.remove();
  }
}

await main();
