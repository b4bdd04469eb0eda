// Every BONKER_* name this project reads, so a misspelt one stops the command instead of silently leaving a default.
// A static list rather than the commands' schemas: each command's bundle holds its own schema only, and one env file
// may serve `up`, so `device` must know the edge's names too. cli/known-settings.test.ts keeps it equal to the schemas.
import { closestName } from './closest-name.ts';

/** The settings of every command (broker, edge, device, CLI client) and of the Worker; each also a flag. */
export const KNOWN_SETTINGS: readonly string[] = [
  'BONKER_LOG_LEVEL', 'BONKER_TOPIC_PREFIX', 'BONKER_BROKER_URL', 'BONKER_DEFAULT_DEVICE',
  // broker
  'BONKER_BROKER_HOST', 'BONKER_BROKER_PORT', 'BONKER_BROKER_WS_PORT', 'BONKER_BROKER_TLS_PORT', 'BONKER_BROKER_TLS_CERT',
  'BONKER_BROKER_TLS_KEY', 'BONKER_BROKER_HTTP_PORT', 'BONKER_BROKER_MAX_CONNECT_BYTES', 'BONKER_BROKER_MAX_PACKET_BYTES',
  'BONKER_BROKER_MAX_CONNECTIONS', 'BONKER_BROKER_CONNECT_TIMEOUT_MS', 'BONKER_PERSISTENCE', 'BONKER_DATA_DIR',
  'BONKER_USERS_FILE',
  // edge (and the Worker's mode)
  'BONKER_EDGE_HOST', 'BONKER_EDGE_PORT', 'BONKER_EDGE_TOKEN', 'BONKER_EDGE_BASIC_USER', 'BONKER_EDGE_BASIC_PASSWORD',
  'BONKER_EDGE_MQTT_USERNAME', 'BONKER_EDGE_MQTT_PASSWORD', 'BONKER_EDGE_BODY_LIMIT', 'BONKER_EDGE_MAX_BONKS',
  'BONKER_EDGE_REPEAT_WINDOW_S', 'BONKER_EDGE_PUBLISH_TIMEOUT_MS', 'BONKER_EDGE_ACK_TIMEOUT_MS',
  'BONKER_EDGE_DASHBOARD_MQTT_URL', 'BONKER_EDGE_DASHBOARD_MQTT_USERNAME', 'BONKER_EDGE_DASHBOARD_MQTT_PASSWORD',
  'BONKER_EDGE_REQUEST_TIMEOUT_MS', 'BONKER_EDGE_IDLE_TIMEOUT_MS', 'BONKER_EDGE_KEEPALIVE_TIMEOUT_MS',
  'BONKER_EDGE_MAX_CONNECTIONS', 'BONKER_EDGE_HMAC_SECRET', 'BONKER_EDGE_HMAC_HEADER', 'BONKER_EDGE_HMAC_TIMESTAMP_HEADER',
  'BONKER_EDGE_WORKER_MODE',
  // device
  'BONKER_DEVICE_ID', 'BONKER_DEVICE_MQTT_USERNAME', 'BONKER_DEVICE_MQTT_PASSWORD', 'BONKER_STATE_DIR',
  'BONKER_SERVO_DRIVER', 'BONKER_SERVO_REQUIRE_HARDWARE', 'BONKER_SERVO_MIN_US', 'BONKER_SERVO_MAX_US',
  'BONKER_PIGPIOD_HOST', 'BONKER_PIGPIOD_PORT', 'BONKER_PWM_CHIP', 'BONKER_PWM_CHANNEL', 'BONKER_SERVO_GPIO',
  'BONKER_SERVO_REST_US', 'BONKER_SERVO_STRIKE_US', 'BONKER_SERVO_TRAVEL_MS', 'BONKER_SERVO_HOLD_MS', 'BONKER_MIN_GAP_MS',
  'BONKER_MAX_PER_MINUTE', 'BONKER_DEDUP_SIZE', 'BONKER_HISTORY_SIZE', 'BONKER_HA_DISCOVERY', 'BONKER_HA_DISCOVERY_PREFIX',
  // CLI client (bonk, status, watch)
  'BONKER_MQTT_USERNAME', 'BONKER_MQTT_PASSWORD',
];

/** Read by the test suite and the container build only; tolerated so a developer's shell does not stop `up`. */
export const TOOL_VARIABLES: readonly string[] = [
  'BONKER_FUZZ_RUNS', 'BONKER_ABSTRACT_STORE', 'BONKER_TEST_UNORDERED', 'BONKER_TEST_RACES_UNFIXED', 'BONKER_BASE_IMAGE', 'BONKER_BASE_NPM',
];

const KNOWN = new Set([...KNOWN_SETTINGS, ...TOOL_VARIABLES]);

/** `BONKER_X: unknown setting; …` for every BONKER_* name in `env` that nothing reads. */
export function unknownSettingProblems(env: Readonly<Record<string, string | undefined>>): string[] {
  return Object.keys(env)
    .filter((name) => name.startsWith('BONKER_') && !KNOWN.has(name))
    .sort()
    .map((name) => {
      const near = closestName(name, KNOWN_SETTINGS);
      return `${name}: unknown setting; ${near ? `did you mean ${near}?` : 'expected one of the names `oom-bonker <command> --help` lists'}`;
    });
}
