// The device's running totals, published retained for Home Assistant's sensors (total bonks, last bonked pod).
import * as z from 'zod';
import type { Ack } from './ack.ts';

/** Home Assistant's default discovery prefix (its MQTT integration setting "discovery prefix"). */
export const DEFAULT_HOME_ASSISTANT_PREFIX = 'homeassistant';

/** A Home Assistant node id: one topic level of `[a-zA-Z0-9_-]` (HA's discovery topic pattern). */
export function homeAssistantNodeId(topicPrefix: string, deviceId: string): string {
  return `${topicPrefix.replace(/\//g, '_')}_${deviceId}`;
}

/**
 * Where the state lives: next to the device's discovery config, `<ha prefix>/device/<node id>/state`.
 * Not under `<prefix>/<device>/`: the broker's ACL lets a device publish there only its ack and status, and under
 * `homeassistant/#`; HA ignores every topic below its prefix that does not end in `/config`.
 */
export function deviceStateTopic(haPrefix: string, nodeId: string): string {
  return `${haPrefix}/device/${nodeId}/state`;
}

export const lastBonkSchema = z.object({
  id: z.string(),
  /** Epoch ms when the strike finished. */
  at: z.number(),
  bonks: z.number().int().nonnegative(),
  reason: z.string(),
  source: z.string().optional(),
  namespace: z.string().optional(),
  pod: z.string().optional(),
  container: z.string().optional(),
});
export type LastBonk = z.infer<typeof lastBonkSchema>;

/** The record of a finished strike, from its `done` ack: the bonk's pod, namespace and container when it had them. */
export function lastBonkOf(ack: Ack, now: () => number): LastBonk {
  const labels = ack.labels ?? {};
  return {
    id: ack.id,
    at: ack.finishedAt ?? now(),
    bonks: ack.bonks,
    reason: ack.reason ?? '',
    ...(labels.namespace ? { namespace: labels.namespace } : {}),
    ...(labels.pod ? { pod: labels.pod } : {}),
    ...(labels.container ? { container: labels.container } : {}),
  };
}

export const deviceStateSchema = z.object({
  v: z.literal(1),
  /** Strikes made since the state directory was created (survives restarts). */
  total: z.number().int().nonnegative(),
  last: lastBonkSchema.nullable(),
});
export type DeviceState = z.infer<typeof deviceStateSchema>;

export function parseDeviceState(payload: Uint8Array | string): DeviceState | undefined {
  try {
    const text = typeof payload === 'string' ? payload : new TextDecoder().decode(payload);
    const parsed = deviceStateSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
