// Turns one Alertmanager notification into the bonk commands to publish: one per firing alert episode.
import { alertBonkId, alertKey, deviceIdSchema, type BonkCommand } from '../../contract/index.ts';
import type { Alert, AlertmanagerNotification } from './alertmanager-payload.ts';

/** Alert label that routes an alert to a device (overridden by the `?device=` query). */
export const DEVICE_LABEL = 'bonker_device';
const MAX_REASON = 1024;

export interface ToBonksOptions {
  /** Used when neither the query nor the alert names a (valid) device. */
  defaultDevice: string;
  /** An already validated `?device=`; wins over the alert label. */
  queryDevice?: string | undefined;
  /** Most bonks per notification; the remaining firing alerts are counted as coalesced. */
  max: number;
  now: () => number;
}

export interface PlannedBonk {
  device: string;
  command: BonkCommand;
}

export interface BonkPlan {
  bonks: PlannedBonk[];
  coalesced: number;
  firing: number;
  resolved: number;
  /** `bonker_device` label values that are not valid device ids (the default device was used instead). */
  invalidDeviceLabels: string[];
}

export function toBonks(notification: AlertmanagerNotification, options: ToBonksOptions): BonkPlan {
  const firing = notification.alerts.filter((alert) => alert.status === 'firing');
  const plan: BonkPlan = {
    bonks: [],
    coalesced: 0,
    firing: firing.length,
    resolved: notification.alerts.length - firing.length,
    invalidDeviceLabels: [],
  };
  const seen = new Set<string>();
  for (const alert of firing) {
    // The same episode twice in one notification (e.g. an HA pair merged upstream) is still one bonk. The id is the
    // key's hash, so the key dedupes alike; only published bonks are hashed (1,000 digests made a storm slow:
    // bench/RESULTS.md, figure 6).
    const key = alertKey(alert);
    if (seen.has(key)) continue;
    seen.add(key);
    if (plan.bonks.length >= options.max) {
      plan.coalesced += 1;
      continue;
    }
    const id = alertBonkId(alert);
    plan.bonks.push({ device: deviceOf(alert, options, plan), command: commandOf(alert, id, options.now()) });
  }
  return plan;
}

/** Groups planned bonks by device, keeping notification order inside each device. */
export function byDevice(bonks: PlannedBonk[]): Map<string, BonkCommand[]> {
  const groups = new Map<string, BonkCommand[]>();
  for (const { device, command } of bonks) groups.set(device, [...(groups.get(device) ?? []), command]);
  return groups;
}

function deviceOf(alert: Alert, options: ToBonksOptions, plan: BonkPlan): string {
  if (options.queryDevice) return options.queryDevice;
  const label = alert.labels[DEVICE_LABEL];
  if (label === undefined) return options.defaultDevice;
  if (deviceIdSchema.safeParse(label).success) return label;
  plan.invalidDeviceLabels.push(label);
  return options.defaultDevice;
}

function commandOf(alert: Alert, id: string, at: number): BonkCommand {
  const reason = alert.annotations?.summary || alert.labels.alertname || 'alert';
  return {
    v: 1,
    id,
    count: 1,
    reason: reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON - 1)}…` : reason,
    source: 'alertmanager',
    labels: alert.labels,
    at,
  };
}
