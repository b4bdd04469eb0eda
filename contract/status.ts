// Device availability, published retained on `<prefix>/<device>/status`; `offline` is also the last will. Beside it,
// retained on `<prefix>/<device>/info`, what the device runs: its servo driver, when it was last seen, its last bonk.
import * as z from 'zod';
import { lastBonkSchema } from './device-state.ts';

export const STATUS_ONLINE = 'online';
export const STATUS_OFFLINE = 'offline';
export type DeviceStatus = typeof STATUS_ONLINE | typeof STATUS_OFFLINE;

/**
 * The status stays the bare word: Home Assistant's availability, the last will, the page and Mosquitto users compare
 * it byte for byte, so the details travel on the sibling `info` topic (as zigbee2mqtt's bridge/state and bridge/info).
 */
export function parseStatus(payload: Uint8Array | string): DeviceStatus | undefined {
  const text = typeof payload === 'string' ? payload : new TextDecoder().decode(payload);
  return text === STATUS_ONLINE || text === STATUS_OFFLINE ? text : undefined;
}

export const servoSelectionSchema = z.object({
  /** The driver moving the servo now: `simulated` means nothing moves. */
  driver: z.string(),
  /** BONKER_SERVO_DRIVER as configured: a driver name or `auto`. */
  requested: z.string(),
  /** True when `auto` found no servo hardware and fell back to the simulated driver. */
  fallback: z.boolean(),
  /** Why `auto` chose this driver, or what it tried before falling back. */
  reason: z.string().optional(),
});
export type ServoSelection = z.infer<typeof servoSelectionSchema>;

export const dedupStoreHealthSchema = z.object({
  /** False from a failed write of a bonk's id until a write succeeds: meanwhile bonks strike but are not acknowledged. */
  ok: z.boolean(),
  /** Failed writes since the agent started. */
  failures: z.number().int().nonnegative(),
  /** The last failure's cause, while not ok. */
  error: z.string().optional(),
});
export type DedupStoreHealth = z.infer<typeof dedupStoreHealthSchema>;

/**
 * Fields added later must be optional; unknown fields are dropped by the parser (zod objects strip them), so an older
 * consumer reads a newer agent's info and a newer consumer an older one's.
 */
export const deviceInfoSchema = z.object({
  v: z.literal(1),
  servo: servoSelectionSchema,
  /** Epoch ms of the agent's current (or, once offline, last) connection. */
  connectedAt: z.number(),
  /** Epoch ms of the agent's last sign of life: on connecting, after each strike and on a clean stop. */
  seenAt: z.number(),
  /** The last strike (the same record as Home Assistant's state); null before the first. */
  last: lastBonkSchema.nullable().optional(),
  /** The dedup store (ids already answered, in BONKER_STATE_DIR). */
  store: dedupStoreHealthSchema.optional(),
});
export type DeviceInfo = z.infer<typeof deviceInfoSchema>;

export function parseDeviceInfo(payload: Uint8Array | string): DeviceInfo | undefined {
  try {
    const text = typeof payload === 'string' ? payload : new TextDecoder().decode(payload);
    const parsed = deviceInfoSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** How an operator reads the driver: `pwm-sysfs`, `pigpiod (auto)`, `SIMULATED (auto found no hardware)`. */
export function describeServo(servo: ServoSelection): string {
  if (servo.fallback) return 'SIMULATED (auto found no servo hardware)';
  return servo.requested === 'auto' ? `${servo.driver} (auto)` : servo.driver;
}
