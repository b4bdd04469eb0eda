// One pino logger per process (JSON lines on stdout); parts get child loggers from it.
import { pino } from 'pino';
import type { Logger } from '../contract/index.ts';

/** Paths that could carry a secret: pino replaces them even if a caller logs a whole config object by mistake. */
const SECRET_PATHS = [
  '*.password',
  '*.token',
  '*.BONKER_EDGE_TOKEN',
  '*.BONKER_EDGE_BASIC_PASSWORD',
  '*.BONKER_EDGE_MQTT_PASSWORD',
  '*.BONKER_DEVICE_MQTT_PASSWORD',
  '*.BONKER_MQTT_PASSWORD',
];

export function createLogger(level: string, name = 'oom-bonker'): Logger {
  return pino({ name, level, redact: { paths: SECRET_PATHS, censor: '[redacted]' } });
}
