// Settings of the HTTP edge from BONKER_* variables; runtime-neutral so the Worker can build them from its `env`.
import { z } from 'zod';
import {
  collectProblems,
  ConfigError,
  describeSettings,
  DEFAULT_TOPIC_PREFIX,
  deviceIdSchema,
  envValue,
  isLoopbackHost,
  parseEnv,
  topicPrefixSchema,
  type Env,
} from '../../contract/index.ts';

const secret = (what: string) => z.string().min(1, `expected a non-empty ${what}`).optional();

export const edgeEnvShape = describeSettings({
  BONKER_EDGE_HOST: envValue.host('127.0.0.1'),
  BONKER_EDGE_PORT: envValue.port(8080),
  BONKER_EDGE_TOKEN: secret('bearer token'),
  BONKER_EDGE_BASIC_USER: z
    .string()
    .regex(/^[^:]+$/, 'expected a user name without ":" (HTTP basic auth splits on the first ":")')
    .optional(),
  BONKER_EDGE_BASIC_PASSWORD: secret('password'),
  // One URL: the edge publishes through one connection (unlike the device, it takes no comma-separated list).
  BONKER_BROKER_URL: envValue
    .mqttUrl('mqtt://127.0.0.1:1883')
    .refine((url) => !url.includes(','), 'expected one broker URL such as mqtt://127.0.0.1:1883 (no "," list for the edge)'),
  BONKER_EDGE_MQTT_USERNAME: z.string().optional(),
  BONKER_EDGE_MQTT_PASSWORD: z.string().optional(),
  BONKER_TOPIC_PREFIX: topicPrefixSchema.default(DEFAULT_TOPIC_PREFIX),
  BONKER_DEFAULT_DEVICE: deviceIdSchema.default('tux'),
  BONKER_EDGE_BODY_LIMIT: envValue.positiveInt(1_048_576, 64 * 1_048_576),
  BONKER_EDGE_MAX_BONKS: envValue.positiveInt(10, 1_000),
  // A bonk this edge had stored is not published again for an alert re-sent within this window (0: always publish).
  BONKER_EDGE_REPEAT_WINDOW_S: envValue.nonNegativeInt(600, 86_400),
  BONKER_EDGE_PUBLISH_TIMEOUT_MS: envValue.positiveInt(5_000, 600_000),
  BONKER_EDGE_ACK_TIMEOUT_MS: envValue.positiveInt(10_000, 600_000),
  // The dashboard page (web/, Node only) connects to the broker itself; unset: ws://<the page's host>:9001.
  BONKER_EDGE_DASHBOARD_MQTT_URL: z
    .string()
    .regex(/^wss?:\/\/[^\s,]+$/, 'expected a WebSocket broker URL the browser can reach, such as ws://127.0.0.1:9001')
    .optional(),
  // Handed to every browser that opens the page: give it a `viewer` user (read-only: status and acks).
  BONKER_EDGE_DASHBOARD_MQTT_USERNAME: z.string().optional(),
  BONKER_EDGE_DASHBOARD_MQTT_PASSWORD: z.string().optional(),
  // Whole request (headers + body) must arrive by then, else 408: a client trickling bytes cannot hold a socket.
  BONKER_EDGE_REQUEST_TIMEOUT_MS: envValue.positiveInt(10_000, 600_000),
  // Node's request timeout starts only with a request's first byte: a connection that sends nothing is closed by this.
  BONKER_EDGE_IDLE_TIMEOUT_MS: envValue.positiveInt(10_000, 600_000),
  // How long a connection may wait for its next request after an answer (Node's keepAliveTimeout).
  BONKER_EDGE_KEEPALIVE_TIMEOUT_MS: envValue.positiveInt(5_000, 600_000),
  // Connections beyond this are closed as soon as they are accepted (Node's maxConnections).
  BONKER_EDGE_MAX_CONNECTIONS: envValue.positiveInt(1_000, 1_000_000),
  BONKER_EDGE_HMAC_SECRET: secret('HMAC secret (Grafana webhook "HMAC Signature" secret)'),
  BONKER_EDGE_HMAC_HEADER: z
    .string()
    .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'expected an HTTP header name such as X-Grafana-Alerting-Signature')
    .optional(),
  BONKER_EDGE_HMAC_TIMESTAMP_HEADER: z
    .string()
    .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'expected an HTTP header name such as X-Grafana-Alerting-Timestamp')
    .optional(),
}, {
  BONKER_EDGE_HOST: 'address the HTTP listener binds; beyond loopback it needs a credential',
  BONKER_EDGE_PORT: 'HTTP port of the webhook, /bonk, the page, probes and /metrics',
  BONKER_EDGE_TOKEN: "bearer token Alertmanager (and the page's Bonk button) must send",
  BONKER_EDGE_BASIC_USER: 'basic-auth user, the alternative to the token',
  BONKER_EDGE_BASIC_PASSWORD: 'basic-auth password for BONKER_EDGE_BASIC_USER',
  BONKER_BROKER_URL: 'where the broker is (mqtt://, mqtts://, ws://, wss://)',
  BONKER_EDGE_MQTT_USERNAME: "the edge's broker user (role edge)",
  BONKER_EDGE_MQTT_PASSWORD: 'password of BONKER_EDGE_MQTT_USERNAME',
  BONKER_TOPIC_PREFIX: 'first topic level(s), e.g. home/bonker',
  BONKER_DEFAULT_DEVICE: 'device for alerts without ?device= or a bonker_device label',
  BONKER_EDGE_BODY_LIMIT: 'largest webhook body in bytes, as sent and once decoded (413 above)',
  BONKER_EDGE_MAX_BONKS: 'bonks per notification; more firing alerts are reported as coalesced',
  BONKER_EDGE_REPEAT_WINDOW_S: 'a re-sent alert stored within this many seconds is not published again; 0 publishes every time',
  BONKER_EDGE_PUBLISH_TIMEOUT_MS: 'the broker must have stored the bonks by then, else 503',
  BONKER_EDGE_ACK_TIMEOUT_MS: "how long ?wait=ack waits for the device's acks",
  BONKER_EDGE_DASHBOARD_MQTT_URL: 'WebSocket broker URL the page uses; unset: ws://<page host>:9001',
  BONKER_EDGE_DASHBOARD_MQTT_USERNAME: 'broker user the page connects as: a viewer, handed to every visitor',
  BONKER_EDGE_DASHBOARD_MQTT_PASSWORD: 'password of BONKER_EDGE_DASHBOARD_MQTT_USERNAME',
  BONKER_EDGE_REQUEST_TIMEOUT_MS: "a request's headers and body must arrive within this, else 408",
  BONKER_EDGE_IDLE_TIMEOUT_MS: 'a connection that sends nothing for this long is closed',
  BONKER_EDGE_KEEPALIVE_TIMEOUT_MS: 'how long an answered connection is kept for the next request',
  BONKER_EDGE_MAX_CONNECTIONS: 'connections open at once; more are closed as soon as accepted',
  BONKER_EDGE_HMAC_SECRET: "require an HMAC-SHA256 signature of the body (Grafana's webhook HMAC Signature)",
  BONKER_EDGE_HMAC_HEADER: 'header carrying the signature; unset: X-Grafana-Alerting-Signature or X-Grafana-Alert-Signature',
  BONKER_EDGE_HMAC_TIMESTAMP_HEADER: 'when set, the signed text is <unix seconds>:<body> and the timestamp must be within 5 minutes',
});

export interface EdgeAuth {
  token: string | undefined;
  basic: { user: string; password: string } | undefined;
}

/** HMAC-SHA256 of the raw body (Grafana's webhook "HMAC Signature"); see signature.ts. */
export interface EdgeHmac {
  secret: string;
  /** Header names the signature may arrive in (lower case), tried in order. */
  headers: string[];
  /** When set, the signed text is `<timestamp>:<body>` and the timestamp (Unix seconds) must be recent. */
  timestampHeader: string | undefined;
}

export interface EdgeConfig {
  host: string;
  port: number;
  auth: EdgeAuth;
  brokerUrl: string;
  mqttUsername: string | undefined;
  mqttPassword: string | undefined;
  topicPrefix: string;
  defaultDevice: string;
  /** Largest request body in bytes. */
  bodyLimit: number;
  /** Bonks published per notification; further firing alerts are reported as coalesced. */
  maxBonks: number;
  /** Milliseconds a stored bonk's id is remembered (stored-bonks.ts); 0 turns that off. */
  repeatWindowMs: number;
  publishTimeoutMs: number;
  ackTimeoutMs: number;
  /** What the dashboard page uses to reach the broker; `mqttUrl` undefined: the page's host on port 9001. */
  dashboard: { mqttUrl: string | undefined; username: string | undefined; password: string | undefined };
  /** Node only: time allowed to receive a whole request (headers and body). */
  requestTimeoutMs: number;
  /** Node only: a connection with no request in flight and no bytes for this long is closed. */
  idleTimeoutMs: number;
  /** Node only: how long an answered connection is kept open for the next request. */
  keepAliveTimeoutMs: number;
  /** Node only: connections accepted at once; more are closed at once. */
  maxConnections: number;
  hmac: EdgeHmac | undefined;
}

const CREDENTIAL_HOWTO =
  'set BONKER_EDGE_TOKEN (Alertmanager `http_config.authorization.credentials`) or both BONKER_EDGE_BASIC_USER and ' +
  'BONKER_EDGE_BASIC_PASSWORD (`http_config.basic_auth`), or BONKER_EDGE_HMAC_SECRET (Grafana\'s HMAC signature)';

export function loadEdgeConfig(env: Env): EdgeConfig {
  const problems: string[] = [];
  const raw = collectProblems(() => parseEnv(edgeEnvShape, env), problems);
  problems.push(...credentialProblems(env));
  if (problems.length || !raw) throw new ConfigError(problems);
  const user = raw.BONKER_EDGE_BASIC_USER;
  const password = raw.BONKER_EDGE_BASIC_PASSWORD;
  return {
    host: raw.BONKER_EDGE_HOST,
    port: raw.BONKER_EDGE_PORT,
    auth: { token: raw.BONKER_EDGE_TOKEN, basic: user && password ? { user, password } : undefined },
    brokerUrl: raw.BONKER_BROKER_URL,
    mqttUsername: raw.BONKER_EDGE_MQTT_USERNAME,
    mqttPassword: raw.BONKER_EDGE_MQTT_PASSWORD,
    topicPrefix: raw.BONKER_TOPIC_PREFIX,
    defaultDevice: raw.BONKER_DEFAULT_DEVICE,
    bodyLimit: raw.BONKER_EDGE_BODY_LIMIT,
    maxBonks: raw.BONKER_EDGE_MAX_BONKS,
    repeatWindowMs: raw.BONKER_EDGE_REPEAT_WINDOW_S * 1000,
    publishTimeoutMs: raw.BONKER_EDGE_PUBLISH_TIMEOUT_MS,
    ackTimeoutMs: raw.BONKER_EDGE_ACK_TIMEOUT_MS,
    dashboard: {
      mqttUrl: raw.BONKER_EDGE_DASHBOARD_MQTT_URL,
      username: raw.BONKER_EDGE_DASHBOARD_MQTT_USERNAME,
      password: raw.BONKER_EDGE_DASHBOARD_MQTT_PASSWORD,
    },
    requestTimeoutMs: raw.BONKER_EDGE_REQUEST_TIMEOUT_MS,
    idleTimeoutMs: raw.BONKER_EDGE_IDLE_TIMEOUT_MS,
    keepAliveTimeoutMs: raw.BONKER_EDGE_KEEPALIVE_TIMEOUT_MS,
    maxConnections: raw.BONKER_EDGE_MAX_CONNECTIONS,
    hmac: hmacOf(raw),
  };
}

/**
 * Grafana's form shows "X-Grafana-Alerting-Signature" as the header's placeholder, but when the field is left empty
 * its sender uses "X-Grafana-Alert-Signature" (grafana/alerting http/hmac.go): by default accept both.
 */
export const GRAFANA_SIGNATURE_HEADERS = ['x-grafana-alerting-signature', 'x-grafana-alert-signature'];

function hmacOf(raw: z.infer<z.ZodObject<typeof edgeEnvShape>>): EdgeHmac | undefined {
  if (!raw.BONKER_EDGE_HMAC_SECRET) return undefined;
  const header = raw.BONKER_EDGE_HMAC_HEADER?.toLowerCase();
  return {
    secret: raw.BONKER_EDGE_HMAC_SECRET,
    headers: header ? [header] : GRAFANA_SIGNATURE_HEADERS,
    timestampHeader: raw.BONKER_EDGE_HMAC_TIMESTAMP_HEADER?.toLowerCase(),
  };
}

/** Checks across variables, read from the raw env so they are reported together with per-variable problems. */
function credentialProblems(env: Env): string[] {
  const set = (key: string) => env[key] !== undefined && env[key] !== '';
  const user = set('BONKER_EDGE_BASIC_USER');
  const password = set('BONKER_EDGE_BASIC_PASSWORD');
  if (user !== password) {
    const missing = user ? 'BONKER_EDGE_BASIC_PASSWORD' : 'BONKER_EDGE_BASIC_USER';
    const present = user ? 'BONKER_EDGE_BASIC_USER' : 'BONKER_EDGE_BASIC_PASSWORD';
    return [`${missing}: required because ${present} is set; expected both basic-auth variables or neither`];
  }
  const host = env.BONKER_EDGE_HOST || '127.0.0.1';
  // A valid signature proves the sender knows the HMAC secret, so it counts as a credential too.
  if (!set('BONKER_EDGE_TOKEN') && !user && !set('BONKER_EDGE_HMAC_SECRET') && !isLoopbackHost(host)) {
    return [
      `BONKER_EDGE_TOKEN: a credential is required when BONKER_EDGE_HOST (${host}) is not loopback; ${CREDENTIAL_HOWTO}`,
    ];
  }
  return [];
}
