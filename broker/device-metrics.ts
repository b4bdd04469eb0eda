// Each device's state as Prometheus series, read off the devices' own topics as they pass through the broker: the
// Pi needs no port of its own for Prometheus, and whatever scrapes the broker sees every device behind it.
import type { Aedes, AedesPublishPacket } from 'aedes';
import { Counter, Gauge, type Registry } from 'prom-client';
import {
  ACK_RESULTS, parseAck, parseDeviceInfo, parseStatus, STATUS_ONLINE, type Ack, type DeviceInfo, type Logger, type Topics,
} from '../contract/index.ts';

/**
 * Devices tracked at most: anonymous clients (loopback only) may publish on any device's topics, and each device
 * is a label value. Past the cap new devices are counted, not tracked.
 */
export const MAX_TRACKED_DEVICES = 256;

interface DeviceSeries {
  online?: boolean;
  acks: Record<Ack['result'], number>;
  strikes: number;
  /** Epoch ms when the last strike finished. */
  lastStrikeAt?: number;
  /** The device's retained info: its servo driver and its dedup store's health. */
  info?: DeviceInfo;
}

interface Retained {
  createRetainedStreamCombi(patterns: string[]): AsyncIterable<AedesPublishPacket>;
}

export interface DeviceMetrics {
  /** Subscribes inside the broker and reads the retained statuses; resolves once both are in place. */
  start(): Promise<void>;
}

export function createDeviceMetrics(opts: {
  aedes: Aedes;
  /** The broker's store, for the statuses retained before this broker started. */
  persistence: object;
  topics: Topics;
  registry: Registry;
  logger: Logger;
}): DeviceMetrics {
  const { aedes, persistence, topics, registry, logger } = opts;
  const devices = new Map<string, DeviceSeries>();
  const untracked = new Counter({
    name: 'bonker_broker_devices_untracked_total',
    help: `Messages on device topics of devices past the first ${MAX_TRACKED_DEVICES} this broker tracks, not turned into series`,
    registers: [registry],
  });
  const series = (device: string): DeviceSeries | undefined => {
    let entry = devices.get(device);
    if (!entry && devices.size < MAX_TRACKED_DEVICES) {
      entry = { acks: Object.fromEntries(ACK_RESULTS.map((r) => [r, 0])) as DeviceSeries['acks'], strikes: 0 };
      devices.set(device, entry);
    }
    if (!entry) untracked.inc();
    return entry;
  };
  register(registry, devices);

  const onMessage = (packet: AedesPublishPacket) => {
    const where = topics.parse(packet.topic);
    if (!where) return;
    if (where.kind === 'status') {
      const status = parseStatus(packet.payload as Buffer);
      const entry = status && series(where.device);
      if (entry) entry.online = status === STATUS_ONLINE;
    } else if (where.kind === 'info') {
      const info = parseDeviceInfo(packet.payload as Buffer);
      const entry = info && series(where.device);
      if (entry) entry.info = info;
    } else if (where.kind === 'ack') {
      const ack = parseAck(packet.payload as Buffer);
      const entry = ack && series(where.device);
      if (!ack || !entry) return;
      entry.acks[ack.result] += 1;
      entry.strikes += ack.bonks;
      if (ack.bonks > 0 && ack.finishedAt !== null) entry.lastStrikeAt = ack.finishedAt;
    }
  };
  const subscribe = (filter: string) =>
    new Promise<void>((resolve, reject) =>
      aedes.subscribe(filter, (packet: AedesPublishPacket, done: () => void) => (onMessage(packet), done()), (error?: Error) => (error ? reject(error) : resolve())),
    );

  return {
    async start() {
      await Promise.all([subscribe(topics.all('status')), subscribe(topics.all('info')), subscribe(topics.all('ack'))]);
      // Statuses and infos retained before this broker started (its own earlier run, or another broker of a cluster).
      try {
        const retained = (persistence as Retained).createRetainedStreamCombi([topics.all('status'), topics.all('info')]);
        for await (const packet of retained) onMessage(packet);
      } catch (error) {
        logger.warn({ err: (error as Error).message }, 'cannot read retained device statuses; devices show once they publish again');
      }
    },
  };
}

function register(registry: Registry, devices: Map<string, DeviceSeries>): void {
  registerInfo(registry, devices);
  const each = (fn: (device: string, entry: DeviceSeries) => void) => () => devices.forEach((entry, device) => fn(device, entry));
  new Gauge({
    name: 'bonker_device_online',
    help: "1 while the device's retained status is online, 0 once it is offline (its last will when the connection drops)",
    labelNames: ['device'] as const,
    registers: [registry],
    collect() {
      this.reset();
      each((device, { online }) => online !== undefined && this.set({ device }, online ? 1 : 0))();
    },
  });
  new Counter({
    name: 'bonker_device_acks_total',
    help: 'Acks the device sent, by result (done, duplicate, rejected, rate_limited), since this broker started',
    labelNames: ['device', 'result'] as const,
    registers: [registry],
    collect() {
      this.reset();
      each((device, { acks }) => ACK_RESULTS.forEach((result) => this.inc({ device, result }, acks[result])))();
    },
  });
  new Counter({
    name: 'bonker_device_strikes_total',
    help: 'Strikes the device reported in its acks since this broker started',
    labelNames: ['device'] as const,
    registers: [registry],
    collect() {
      this.reset();
      each((device, { strikes }) => this.inc({ device }, strikes))();
    },
  });
  new Gauge({
    name: 'bonker_device_last_strike_timestamp_seconds',
    help: "When the device's last strike finished (Unix seconds), from its ack",
    labelNames: ['device'] as const,
    registers: [registry],
    collect() {
      this.reset();
      each((device, { lastStrikeAt }) => lastStrikeAt !== undefined && this.set({ device }, lastStrikeAt / 1000))();
    },
  });
}

/** From each device's retained info: which servo driver runs, and whether its dedup store can write. */
function registerInfo(registry: Registry, devices: Map<string, DeviceSeries>): void {
  new Gauge({
    name: 'bonker_device_info',
    help:
      "1 per device: the servo driver it runs (driver=simulated moves nothing), the one it was asked for " +
      '(BONKER_SERVO_DRIVER, or auto) and whether auto fell back to simulating',
    labelNames: ['device', 'driver', 'requested', 'fallback'] as const,
    registers: [registry],
    collect() {
      this.reset();
      devices.forEach(({ info }, device) => {
        if (info) this.set({ device, driver: info.servo.driver, requested: info.servo.requested, fallback: String(info.servo.fallback) }, 1);
      });
    },
  });
  new Gauge({
    name: 'bonker_device_dedup_store_ok',
    help: "1 while the device's dedup store writes, 0 from a failed write until one succeeds (meanwhile bonks are not acknowledged)",
    labelNames: ['device'] as const,
    registers: [registry],
    collect() {
      this.reset();
      devices.forEach(({ info }, device) => info?.store && this.set({ device }, info.store.ok ? 1 : 0));
    },
  });
  new Counter({
    name: 'bonker_device_dedup_store_failures_total',
    help: "Failed writes to the device's dedup store since the agent started, as the device reports them",
    labelNames: ['device'] as const,
    registers: [registry],
    collect() {
      this.reset();
      devices.forEach(({ info }, device) => info?.store && this.inc({ device }, info.store.failures));
    },
  });
}
