// The device's running totals and its last bonks, published retained for Home Assistant's sensors (total bonks, last
// bonked pod, on the HA state topic) and for the dashboard (the same payload with `recent`, on `<prefix>/<device>/history`).
import * as z from 'zod';
import { ACK_RESULTS, type Ack } from './ack.ts';

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

/** One answered bonk command in the history: a strike, or a command refused (`rejected`, `rate_limited`). */
export const bonkEntrySchema = lastBonkSchema.extend({
  result: z.enum(ACK_RESULTS),
  error: z.string().optional(),
});
export type BonkEntry = z.infer<typeof bonkEntrySchema>;

/**
 * Most bonks a device keeps (BONKER_HISTORY_SIZE). With FIELD_MAX_CHARS it bounds the retained payload: 50 entries of
 * six 120-character fields stay under 160 KB even in 4-byte characters, below the broker's 256 KiB packet limit.
 */
export const MAX_HISTORY_SIZE = 50;
/** Longest text field of an entry; label values and reasons can be long, and every viewer receives the payload. */
export const FIELD_MAX_CHARS = 120;

/** The record of a finished strike, from its `done` ack: its history entry without the result (contract of `last`). */
export function lastBonkOf(ack: Ack, now: () => number = Date.now): LastBonk {
  const { result: _result, error: _error, ...last } = bonkEntry(ack, now);
  return last;
}

export const deviceStateSchema = z.object({
  v: z.literal(1),
  /** Strikes made since the state directory was created (survives restarts). */
  total: z.number().int().nonnegative(),
  last: lastBonkSchema.nullable(),
  /** Newest first; absent on the HA state topic and in state saved before the history existed. */
  recent: z.array(bonkEntrySchema).max(MAX_HISTORY_SIZE).optional(),
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

/** The history entry of an ack, each text field cut to FIELD_MAX_CHARS (the id is bounded by the bonk schema). */
export function bonkEntry(ack: Ack, now: () => number = Date.now): BonkEntry {
  const labels = ack.labels ?? {};
  const text = { source: ack.source, namespace: labels.namespace, pod: labels.pod, container: labels.container, error: ack.error };
  const present = Object.entries(text).filter((field): field is [string, string] => Boolean(field[1]));
  return {
    id: ack.id,
    at: ack.finishedAt ?? now(),
    bonks: ack.bonks,
    result: ack.result,
    reason: truncate(ack.reason ?? ''),
    ...Object.fromEntries(present.map(([name, value]) => [name, truncate(value)])),
  };
}

function truncate(text: string): string {
  if (text.length <= FIELD_MAX_CHARS) return text;
  // Never end on half a surrogate pair (an emoji cut in two).
  return `${text.slice(0, FIELD_MAX_CHARS - 1).replace(/[\uD800-\uDBFF]$/, '')}…`;
}
