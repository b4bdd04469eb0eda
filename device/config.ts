// Settings of the device agent: BONKER_* variables validated by one zod shape, every problem reported at once.
import * as z from 'zod';
import {
  DEFAULT_TOPIC_PREFIX,
  DEFAULT_HOME_ASSISTANT_PREFIX,
  deviceIdSchema,
  envValue,
  MAX_HISTORY_SIZE,
  parseEnv,
  topicPrefixSchema,
  collectProblems,
  ConfigError,
  describeSettings,
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

const TRAVEL_EXPECTED = 'expected milliseconds 0-5000 for the horn to swing (0 only for benchmarks and the simulated servo)';

export const SERVO_DRIVERS = ['simulated', 'pigpio', 'pigpiod', 'pwm-sysfs', 'auto'] as const;
export type ServoDriverName = (typeof SERVO_DRIVERS)[number];

export interface ServoSettings {
  driver: ServoDriverName;
  gpio: number;
  /** Hard limits: no pulse outside them reaches the servo. */
  minUs: number;
  maxUs: number;
  pigpiod: { host: string; port: number };
  pwm: { chip: number; channel: number | undefined };
  /** `auto` refuses to start instead of falling back to the simulated driver. */
  requireHardware: boolean;
}

/** `mqtt://a:1883,mqtt://b:1883`: tried in order on reconnect (mqtt.js `servers`). */
const brokerUrls = z
  .string()
  .transform((value) => value.split(',').map((url) => url.trim()).filter(Boolean))
  .pipe(z.array(envValue.mqttUrl('unused').unwrap()).min(1, 'expected one or more broker URLs separated by ","'));

export const deviceEnvShape = describeSettings({
  BONKER_DEVICE_ID: deviceIdSchema.default('tux'),
  BONKER_BROKER_URL: brokerUrls.default(['mqtt://127.0.0.1:1883']),
  BONKER_DEVICE_MQTT_USERNAME: z.string().optional(),
  BONKER_DEVICE_MQTT_PASSWORD: z.string().optional(),
  BONKER_TOPIC_PREFIX: topicPrefixSchema.default(DEFAULT_TOPIC_PREFIX),
  BONKER_STATE_DIR: z.string().min(1, 'expected a directory path').default('.bonker/device'),
  BONKER_SERVO_DRIVER: z
    .enum(SERVO_DRIVERS, { error: `expected one of ${SERVO_DRIVERS.join(', ')}` })
    .default('simulated'),
  BONKER_SERVO_REQUIRE_HARDWARE: z.enum(['on', 'off'], { error: 'expected "on" or "off"' }).default('off'),
  // Hard limits no pulse can exceed (device/servo/limits.ts); rest and strike must lie within them.
  BONKER_SERVO_MIN_US: pulseWidth(PULSE_MIN_US),
  BONKER_SERVO_MAX_US: pulseWidth(PULSE_MAX_US),
  BONKER_PIGPIOD_HOST: envValue.host('127.0.0.1'),
  BONKER_PIGPIOD_PORT: envValue.port(8888),
  BONKER_PWM_CHIP: envValue.nonNegativeInt(0, 255),
  /** Unset: derived from BONKER_SERVO_GPIO and the Pi model (device/servo/pwm-sysfs.ts). */
  BONKER_PWM_CHANNEL: z.coerce
    .number({ error: 'expected a PWM channel number 0-255' })
    .int('expected a PWM channel number 0-255')
    .min(0, 'expected a PWM channel number 0-255')
    .max(255, 'expected a PWM channel number 0-255')
    .optional(),
  BONKER_SERVO_GPIO: envValue.nonNegativeInt(18, 53),
  BONKER_SERVO_REST_US: pulseWidth(1500),
  BONKER_SERVO_STRIKE_US: pulseWidth(1050),
  // 0 means no motion time at all: only for benchmarks and simulation, a real horn needs time to swing.
  BONKER_SERVO_TRAVEL_MS: z.coerce
    .number({ error: TRAVEL_EXPECTED })
    .int(TRAVEL_EXPECTED)
    .min(0, TRAVEL_EXPECTED)
    .max(5_000, TRAVEL_EXPECTED)
    .default(150),
  BONKER_SERVO_HOLD_MS: envValue.nonNegativeInt(200, 5_000),
  BONKER_MIN_GAP_MS: envValue.nonNegativeInt(1_000, 60_000),
  BONKER_MAX_PER_MINUTE: envValue.positiveInt(10, 1_000_000),
  BONKER_DEDUP_SIZE: envValue.positiveInt(10_000, 10_000_000),
  // The last bonks kept on disk and retained on `<prefix>/<device>/history` for the dashboard (device/bonk-record.ts);
  // 0 publishes no history, for a broker whose ACL predates that topic (an older bundled broker closes the connection).
  BONKER_HISTORY_SIZE: envValue.nonNegativeInt(20, MAX_HISTORY_SIZE),
  // Home Assistant MQTT discovery (device/home-assistant.ts); `off` removes what an earlier run published.
  BONKER_HA_DISCOVERY: z.enum(['on', 'off'], { error: 'expected "on" or "off"' }).default('on'),
  BONKER_HA_DISCOVERY_PREFIX: topicPrefixSchema.default(DEFAULT_HOME_ASSISTANT_PREFIX),
}, {
  BONKER_DEVICE_ID: "this device's name (a topic level)",
  BONKER_BROKER_URL: 'where the broker is; a comma-separated list is tried in turn',
  BONKER_DEVICE_MQTT_USERNAME: "the device's broker user (role device)",
  BONKER_DEVICE_MQTT_PASSWORD: 'password of BONKER_DEVICE_MQTT_USERNAME',
  BONKER_TOPIC_PREFIX: 'first topic level(s), e.g. home/bonker',
  BONKER_STATE_DIR: 'dedup store (ids already struck), the bonk history and its totals',
  BONKER_HISTORY_SIZE: 'recent bonks kept and retained on <prefix>/<device>/history for the page; 0 publishes none (a broker older than that topic)',
  BONKER_SERVO_DRIVER: 'simulated, pigpio (root), pigpiod (daemon), pwm-sysfs (hardware PWM) or auto (picks what the machine supports)',
  BONKER_SERVO_REQUIRE_HARDWARE: 'on: auto refuses to start (exit 78) instead of falling back to the simulated driver',
  BONKER_SERVO_MIN_US: 'hard lower limit of any pulse, in µs',
  BONKER_SERVO_MAX_US: 'hard upper limit of any pulse, in µs',
  BONKER_PIGPIOD_HOST: 'where pigpiod listens (pigpiod driver)',
  BONKER_PIGPIOD_PORT: "pigpiod's port (pigpiod driver)",
  BONKER_PWM_CHIP: '/sys/class/pwm/pwmchipN (pwm-sysfs driver)',
  BONKER_PWM_CHANNEL: 'PWM channel (pwm-sysfs driver); unset: from BONKER_SERVO_GPIO and the Pi model',
  BONKER_SERVO_GPIO: 'BCM pin of the servo signal',
  BONKER_SERVO_REST_US: 'pulse width at rest, in µs',
  BONKER_SERVO_STRIKE_US: 'pulse width at the strike, in µs',
  BONKER_SERVO_TRAVEL_MS: 'time for the horn to swing, in ms',
  BONKER_SERVO_HOLD_MS: 'time held at the strike, in ms',
  BONKER_MIN_GAP_MS: 'least time between two strikes, in ms',
  BONKER_MAX_PER_MINUTE: 'strikes per sliding minute; beyond it commands are acked rate_limited',
  BONKER_DEDUP_SIZE: 'how many bonk ids the device remembers',
  BONKER_HA_DISCOVERY: 'Home Assistant MQTT discovery; off removes it',
  BONKER_HA_DISCOVERY_PREFIX: "Home Assistant's discovery prefix",
});

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
  servo: ServoSettings;
  motion: Motion;
  minGapMs: number;
  maxPerMinute: number;
  dedupSize: number;
  historySize: number;
  homeAssistant: { discovery: boolean; prefix: string };
}

export function loadDeviceConfig(env: Env): DeviceConfig {
  const problems: string[] = [];
  const raw = collectProblems(() => parseEnv(deviceEnvShape, env), problems);
  // Checked across variables; reported together with the per-variable problems.
  const rest = raw?.BONKER_SERVO_REST_US ?? Number(env.BONKER_SERVO_REST_US || 1500);
  const strike = raw?.BONKER_SERVO_STRIKE_US ?? Number(env.BONKER_SERVO_STRIKE_US || 1050);
  if (rest === strike) {
    problems.push(`BONKER_SERVO_STRIKE_US: expected a pulse width different from BONKER_SERVO_REST_US (${rest})`);
  }
  if (raw) problems.push(...limitProblems(raw));
  if (raw?.BONKER_SERVO_REQUIRE_HARDWARE === 'on' && raw.BONKER_SERVO_DRIVER === 'simulated') {
    problems.push('BONKER_SERVO_REQUIRE_HARDWARE: "on" contradicts BONKER_SERVO_DRIVER=simulated; expected a hardware driver or auto, or "off"');
  }
  if (problems.length || !raw) throw new ConfigError(problems);
  return {
    deviceId: raw.BONKER_DEVICE_ID,
    brokerUrls: raw.BONKER_BROKER_URL,
    username: raw.BONKER_DEVICE_MQTT_USERNAME,
    password: raw.BONKER_DEVICE_MQTT_PASSWORD,
    topicPrefix: raw.BONKER_TOPIC_PREFIX,
    stateDir: raw.BONKER_STATE_DIR,
    servo: {
      driver: raw.BONKER_SERVO_DRIVER,
      gpio: raw.BONKER_SERVO_GPIO,
      minUs: raw.BONKER_SERVO_MIN_US,
      maxUs: raw.BONKER_SERVO_MAX_US,
      pigpiod: { host: raw.BONKER_PIGPIOD_HOST, port: raw.BONKER_PIGPIOD_PORT },
      pwm: { chip: raw.BONKER_PWM_CHIP, channel: raw.BONKER_PWM_CHANNEL },
      requireHardware: raw.BONKER_SERVO_REQUIRE_HARDWARE === 'on',
    },
    motion: {
      restUs: raw.BONKER_SERVO_REST_US,
      strikeUs: raw.BONKER_SERVO_STRIKE_US,
      travelMs: raw.BONKER_SERVO_TRAVEL_MS,
      holdMs: raw.BONKER_SERVO_HOLD_MS,
    },
    minGapMs: raw.BONKER_MIN_GAP_MS,
    maxPerMinute: raw.BONKER_MAX_PER_MINUTE,
    dedupSize: raw.BONKER_DEDUP_SIZE,
    historySize: raw.BONKER_HISTORY_SIZE,
    homeAssistant: { discovery: raw.BONKER_HA_DISCOVERY === 'on', prefix: raw.BONKER_HA_DISCOVERY_PREFIX },
  };
}

/** The agent refuses to start with a rest or strike position its own hard limits would refuse. */
function limitProblems(raw: z.infer<z.ZodObject<typeof deviceEnvShape>>): string[] {
  const min = raw.BONKER_SERVO_MIN_US;
  const max = raw.BONKER_SERVO_MAX_US;
  if (min >= max) return [`BONKER_SERVO_MAX_US: expected a pulse width above BONKER_SERVO_MIN_US (${min}), got ${max}`];
  return (['BONKER_SERVO_REST_US', 'BONKER_SERVO_STRIKE_US'] as const)
    .filter((key) => raw[key] < min || raw[key] > max)
    .map((key) => `${key}: expected a pulse width within the hard limits BONKER_SERVO_MIN_US-BONKER_SERVO_MAX_US (${min}-${max}), got ${raw[key]}`);
}
