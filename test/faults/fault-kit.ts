// Shared pieces of the fault tests: numbered alerts, posting them, and an in-process device agent that records acks.
import { silentLogger, type Ack, type Env } from '../../contract/index.ts';
import { loadDeviceConfig } from '../../device/config.ts';
import { createSimulatedServo, type SimulatedServo } from '../../device/servo/simulated.ts';
import { startDevice, type RunningDevice } from '../../device/start-device.ts';
import { loadEdgeConfig } from '../../edge/core/config.ts';
import { startEdge, type RunningEdge } from '../../edge/node/main.ts';
import { fixtures } from '../fixtures/index.ts';
import { FAST_MOTION, STRIKE_US } from '../helpers/chain.ts';
import { waitUntil } from '../helpers/wait.ts';

/**
 * Fast motion and no rate limit in the way: these tests count deliveries, not pacing. Home Assistant discovery off:
 * its state file is saved after each strike without close() waiting for it, which raced the temp-dir removal.
 */
export const DEVICE_ENV: Env = {
  ...FAST_MOTION, BONKER_MAX_PER_MINUTE: '10000', BONKER_MIN_GAP_MS: '0', BONKER_SERVO_STRIKE_US: String(STRIKE_US),
  BONKER_HA_DISCOVERY: 'off',
};

/** A firing notification for alert episode `n`: its own startsAt, so its own bonk id. */
export function numberedAlert(n: number, extra: { device?: string } = {}): object {
  const base = fixtures.firingOne;
  const startsAt = new Date(Date.UTC(2026, 10, 25, 0, 0, n)).toISOString();
  const labels = { ...base.alerts[0]!.labels, episode: String(n), ...(extra.device ? { bonker_device: extra.device } : {}) };
  return { ...base, alerts: [{ ...base.alerts[0]!, labels, startsAt, fingerprint: n.toString(16).padStart(16, '0') }] };
}

export interface PostResult {
  status: number;
  published: string[];
  /** Of `published`, how many the edge had stored before and did not send again (stored-bonks.ts). */
  repeated: number;
}

export async function postAlert(edgeUrl: string, body: object): Promise<PostResult> {
  try {
    const response = await fetch(`${edgeUrl}/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await response.json().catch(() => ({}))) as { published?: string[]; repeated?: number };
    return { status: response.status, published: json.published ?? [], repeated: json.repeated ?? 0 };
  } catch {
    return { status: 0, published: [], repeated: 0 };
  }
}

/** Posts alerts first..first+count-1 one at a time, so the broker's publish order is the order of the returned ids. */
export async function postInOrder(edgeUrl: string, first: number, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let n = first; n < first + count; n++) {
    const result = await postAlert(edgeUrl, numberedAlert(n));
    if (result.status !== 200) throw new Error(`alert ${n} answered ${result.status}, expected 200 (stored)`);
    ids.push(...result.published);
  }
  return ids;
}

export async function startTestEdge(brokerUrl: string, env: Env = {}): Promise<RunningEdge & { url: string }> {
  const edge = await startEdge(loadEdgeConfig({ BONKER_BROKER_URL: brokerUrl, BONKER_EDGE_PORT: '0', ...env }), silentLogger);
  return Object.assign(edge, { url: `http://127.0.0.1:${edge.port}` });
}

export interface RecordedDevice {
  device: RunningDevice;
  servo: SimulatedServo;
  acks: Ack[];
  strikes(): number;
  /** Waits until every id in `ids` has an ack. */
  waitForIds(ids: readonly string[], timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startRecordedDevice(brokerUrl: string, stateDir: string, env: Env = {}): Promise<RecordedDevice> {
  const servo = createSimulatedServo();
  const config = loadDeviceConfig({ ...DEVICE_ENV, BONKER_BROKER_URL: brokerUrl, BONKER_STATE_DIR: stateDir, ...env });
  const device = await startDevice(config, silentLogger, { servo });
  const acks: Ack[] = [];
  device.events.on('ack', (ack: Ack) => acks.push(ack));
  return {
    device,
    servo,
    acks,
    strikes: () => servo.pulses.filter((p) => p.us === STRIKE_US).length,
    async waitForIds(ids, timeoutMs = 20_000) {
      const missing = () => ids.filter((id) => !acks.some((ack) => ack.id === id));
      try {
        await waitUntil(device.events, 'ack', () => missing().length === 0, timeoutMs);
      } catch {
        throw new Error(`${missing().length} of ${ids.length} bonks never reached the device (lost)`);
      }
    },
    close: () => device.close(),
  };
}

/** How often each id was acked `done` (struck); anything above 1 is a duplicate strike. */
export function doneCounts(acks: readonly Ack[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const ack of acks) if (ack.result === 'done') counts.set(ack.id, (counts.get(ack.id) ?? 0) + 1);
  return counts;
}
