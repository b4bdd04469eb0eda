// Settings of the device agent: BONKER_* variables validated by one zod shape, every problem reported at once.
import { z } from 'zod';
import {
  DEFAULT_TOPIC_PREFIX,
  deviceIdSchema,
  envValue,
  parseEnv,
  topicPrefixSchema,
  ConfigError,
  type Env,
} from '../contract/index.ts';

const PULSE_MIN_US = 500;
const PULSE_MAX_US = 2500;
const pulseWidth = (fallback: number) =>
  z.coerce
    .number({ error: `expected a servo pulse width in microseconds ${PULSE_MIN_US}-${PULSE_MAX_US}` })
    .int(`expected a whole number of microseconds ${PULSE_MIN_US}-${PULSE_MAX_US}`)
    .min(PULSE_MIN_US, `expected a servo pulse width in microseconds ${PULSE_MIN_US}-${PULSE_MAX_US}`)
    .max(PULSE_MAX_US, `expected a servo pulse width in microseconds ${PULSE_MIN_US}-${PULSE_MAX_US}`)
    .default(fallback);

/** `mqtt://a:1883,mqtt://b:1883`: tried in order on reconnect (mqtt.js `servers`). */
const brokerUrls = z
  .string()
  .transform((value) => value.split(',').map((url) => url.trim()).filter(Boolean))
  .pipe(z.array(envValue.mqttUrl('unused').unwrap()).min(1, 'expected one or more broker URLs separated by ","'));

export const deviceEnvShape = {
  BONKER_DEVICE_ID: deviceIdSchema.default('tux'),
  BONKER_BROKER_URL: brokerUrls.default(['mqtt://127.0.0.1:1883']),
  BONKER_DEVICE_MQTT_USERNAME: z.string().optional(),
  BONKER_DEVICE_MQTT_PASSWORD: z.string().optional(),
  BONKER_TOPIC_PREFIX: topicPrefixSchema.default(DEFAULT_TOPIC_PREFIX),
  BONKER_STATE_DIR: z.string().min(1, 'expected a directory path').default('.bonker/device'),
  BONKER_SERVO_DRIVER: z
    .enum(['simulated', 'pigpio'], { error: 'expected "simulated" or "pigpio"' })
    .default('simulated'),
  BONKER_SERVO_GPIO: envValue.nonNegativeInt(18, 53),
  BONKER_SERVO_REST_US: pulseWidth(1500),
  BONKER_SERVO_STRIKE_US: pulseWidth(1050),
  BONKER_SERVO_TRAVEL_MS: envValue.positiveInt(150, 5_000),
  BONKER_SERVO_HOLD_MS: envValue.nonNegativeInt(200, 5_000),
  BONKER_MIN_GAP_MS: envValue.nonNegativeInt(1_000, 60_000),
  BONKER_MAX_PER_MINUTE: envValue.positiveInt(10, 10_000),
  BONKER_DEDUP_SIZE: envValue.positiveInt(10_000, 10_000_000),
};

export interface Motion {
  restUs: number;
  strikeUs: number;
  /** Time the horn needs to swing from rest to the strike position (and back). */
  travelMs: number;
  holdMs: number;
}

export interface DeviceConfig {
  deviceId: string;
  brokerUrls: string[];
  username: string | undefined;
  password: string | undefined;
  topicPrefix: string;
  stateDir: string;
  servo: { driver: 'simulated' | 'pigpio'; gpio: number };
  motion: Motion;
  minGapMs: number;
  maxPerMinute: number;
  dedupSize: number;
}

export function loadDeviceConfig(env: Env): DeviceConfig {
  const problems: string[] = [];
  let raw: z.infer<z.ZodObject<typeof deviceEnvShape>> | undefined;
  try {
    raw = parseEnv(deviceEnvShape, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  // Checked across variables; reported together with the per-variable problems.
  const rest = raw?.BONKER_SERVO_REST_US ?? Number(env.BONKER_SERVO_REST_US || 1500);
  const strike = raw?.BONKER_SERVO_STRIKE_US ?? Number(env.BONKER_SERVO_STRIKE_US || 1050);
  if (rest === strike) {
    problems.push(`BONKER_SERVO_STRIKE_US: expected a pulse width different from BONKER_SERVO_REST_US (${rest})`);
  }
  if (problems.length || !raw) throw new ConfigError(problems);
  return {
    deviceId: raw.BONKER_DEVICE_ID,
    brokerUrls: raw.BONKER_BROKER_URL,
    username: raw.BONKER_DEVICE_MQTT_USERNAME,
    password: raw.BONKER_DEVICE_MQTT_PASSWORD,
    topicPrefix: raw.BONKER_TOPIC_PREFIX,
    stateDir: raw.BONKER_STATE_DIR,
    servo: { driver: raw.BONKER_SERVO_DRIVER, gpio: raw.BONKER_SERVO_GPIO },
    motion: {
      restUs: raw.BONKER_SERVO_REST_US,
      strikeUs: raw.BONKER_SERVO_STRIKE_US,
      travelMs: raw.BONKER_SERVO_TRAVEL_MS,
      holdMs: raw.BONKER_SERVO_HOLD_MS,
    },
    minGapMs: raw.BONKER_MIN_GAP_MS,
    maxPerMinute: raw.BONKER_MAX_PER_MINUTE,
    dedupSize: raw.BONKER_DEDUP_SIZE,
  };
}
