// What the CLI says about devices: their retained status and info read from the broker, as a table or as JSON.
import type { MqttClient } from 'mqtt';
import {
  describeServo, parseDeviceInfo, parseStatus, QOS, type DeviceInfo, type DeviceStatus, type LastBonk, type Topics,
} from '../contract/index.ts';

export interface DeviceReport {
  device: string;
  /** undefined: the device published info but no status (yet). */
  status: DeviceStatus | undefined;
  /** undefined: an agent older than the info topic, or one that never connected since. */
  info: DeviceInfo | undefined;
}

/** Retained messages follow the SUBACK with no end marker; stop once the broker has been quiet this long after it. */
const QUIET_MS = 500;

export async function readDevices(client: MqttClient, topics: Topics): Promise<DeviceReport[]> {
  const devices = new Map<string, DeviceReport>();
  const entry = (device: string) => devices.get(device) ?? devices.set(device, { device, status: undefined, info: undefined }).get(device)!;
  client.on('message', (topic, payload) => {
    const parsed = topics.parse(topic);
    if (parsed?.kind === 'status') {
      const status = parseStatus(payload);
      if (status) entry(parsed.device).status = status;
    } else if (parsed?.kind === 'info') {
      const info = parseDeviceInfo(payload);
      if (info) entry(parsed.device).info = info;
    }
  });
  await client.subscribeAsync([topics.all('status'), topics.all('info')], { qos: QOS.status });
  await quietPeriod(client, QUIET_MS);
  return [...devices.values()].sort((a, b) => a.device.localeCompare(b.device));
}

/** One row per device: name, status, driver, last bonk and when it was last seen. */
export function statusTable(reports: DeviceReport[], now: number): string {
  const rows = reports.map((r) => [
    r.device,
    r.status ?? 'unknown',
    r.info ? describeServo(r.info.servo) : 'unknown (agent too old to say)',
    r.info ? describeLastBonk(r.info.last, now) : '',
    lastSeen(r, now),
  ]);
  return formatTable(['DEVICE', 'STATUS', 'DRIVER', 'LAST BONK', 'LAST SEEN'], rows);
}

/** `{ "tux": { "status": "online", "servo": {...}, "last": {...}, "seenAt": 1765... } }`; null where unknown. */
export function statusJson(reports: DeviceReport[]): Record<string, unknown> {
  return Object.fromEntries(
    reports.map((r) => [r.device, {
      status: r.status ?? null,
      servo: r.info?.servo ?? null,
      last: r.info?.last ?? null,
      seenAt: r.info?.seenAt ?? null,
    }]),
  );
}

/** `bonk/memory-eater (eater), 2 min ago`, or the reason for a bonk without a pod. */
export function describeLastBonk(last: LastBonk | null | undefined, now: number): string {
  if (!last) return 'none yet';
  return `${describePod(last) ?? (last.reason || 'manual bonk')}, ${describeAge(now - last.at)}`;
}

/** `namespace/pod (container)` from a bonk's labels; undefined when it names no pod. */
export function describePod(labels: { namespace?: string | undefined; pod?: string | undefined; container?: string | undefined }): string | undefined {
  if (!labels.pod) return undefined;
  return `${labels.namespace ?? '?'}/${labels.pod}${labels.container ? ` (${labels.container})` : ''}`;
}

export function describeAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 172_800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} days ago`;
}

function lastSeen(report: DeviceReport, now: number): string {
  if (report.status === 'online') return 'now';
  return report.info ? `${describeAge(now - report.info.seenAt)} (${new Date(report.info.seenAt).toISOString()})` : 'unknown';
}

function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** Resolves once no message has arrived for `ms`, counting from now. */
function quietPeriod(client: MqttClient, ms: number): Promise<void> {
  return new Promise((resolve) => {
    let timer = setTimeout(done, ms);
    function onMessage() {
      clearTimeout(timer);
      timer = setTimeout(done, ms);
    }
    function done() {
      client.off('message', onMessage);
      resolve();
    }
    client.on('message', onMessage);
  });
}
