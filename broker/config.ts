// Broker settings from BONKER_* variables: listeners, TLS, persistence, users file, who may connect anonymously, limits.
import { accessSync, constants } from 'node:fs';
import { z } from 'zod';
import {
  collectProblems, ConfigError, describeSettings, envValue, isLoopbackHost, parseEnv, topicPrefixSchema, DEFAULT_TOPIC_PREFIX, type Env,
} from '../contract/index.ts';
import { readUsersFile, type User } from './users-file.ts';
import { parseRedisUrl, PERSISTENCE_KINDS, type PersistenceChoice, type RedisTarget } from './persistence.ts';

const PORT_OR_OFF = 'expected a TCP port number 0-65535 or "off"';

/** A port that `off` disables; returns undefined for off. */
const portOrOff = (fallback: number) =>
  z
    .string()
    .default(String(fallback))
    .transform((value, ctx) => {
      if (value === 'off') return undefined;
      const port = Number(value);
      if (!/^\d+$/.test(value) || port > 65535) {
        ctx.addIssue({ code: 'custom', message: PORT_OR_OFF });
        return z.NEVER;
      }
      return port;
    });

const optionalPath = z.string().min(1).optional();

/** A whole number in [min, max]; `expected` in the message names the unit. */
const wholeNumber = (fallback: number, min: number, max: number, unit: string) => {
  const expected = `expected a whole number of ${unit} from ${min} to ${max}`;
  return z.coerce.number({ error: expected }).int(expected).min(min, expected).max(max, expected).default(fallback);
};

// The largest packet MQTT 3.1.1 can express: a 4-byte remaining length of 268,435,455 plus the 5 header bytes [MQTT-2.2.3].
const MQTT_MAX_PACKET_BYTES = 268_435_460;
// Smaller than any real CONNECT (14 bytes with an empty client id) is a typo, not a policy.
const MIN_PACKET_BYTES = 64;

const limitsEnvShape = {
  // A CONNECT is client id + username + password + will: a few hundred bytes; 16 KiB leaves room for a long will.
  BONKER_BROKER_MAX_CONNECT_BYTES: wholeNumber(16_384, MIN_PACKET_BYTES, MQTT_MAX_PACKET_BYTES, 'bytes'),
  // Bonks are under 1 KB and Home Assistant discovery configs a few KB; aedes itself has no limit at all.
  BONKER_BROKER_MAX_PACKET_BYTES: wholeNumber(262_144, MIN_PACKET_BYTES, MQTT_MAX_PACKET_BYTES, 'bytes'),
  // Aedes costs about 55 KiB per client and this runs on a Pi.
  BONKER_BROKER_MAX_CONNECTIONS: wholeNumber(500, 1, 1_000_000, 'connections'),
  BONKER_BROKER_CONNECT_TIMEOUT_MS: wholeNumber(10_000, 100, 600_000, 'milliseconds'),
};

export const brokerEnvShape = describeSettings({
  BONKER_BROKER_HOST: envValue.host('127.0.0.1'),
  BONKER_BROKER_PORT: envValue.port(1883),
  BONKER_BROKER_WS_PORT: portOrOff(9001),
  BONKER_BROKER_TLS_PORT: envValue.port(8883),
  BONKER_BROKER_TLS_CERT: optionalPath,
  BONKER_BROKER_TLS_KEY: optionalPath,
  BONKER_BROKER_HTTP_PORT: portOrOff(9102),
  BONKER_PERSISTENCE: z.string().default('level').transform(persistenceKind),
  BONKER_DATA_DIR: z.string().min(1).default('.bonker/broker'),
  BONKER_USERS_FILE: optionalPath,
  BONKER_TOPIC_PREFIX: topicPrefixSchema.default(DEFAULT_TOPIC_PREFIX),
  ...limitsEnvShape,
}, {
  BONKER_BROKER_HOST: 'address every broker listener binds; beyond loopback it needs BONKER_USERS_FILE',
  BONKER_BROKER_PORT: 'MQTT over TCP',
  BONKER_BROKER_WS_PORT: 'MQTT over WebSocket (the page uses it); off to disable',
  BONKER_BROKER_TLS_PORT: 'MQTT over TLS, when BONKER_BROKER_TLS_CERT and _KEY are both set',
  BONKER_BROKER_TLS_CERT: 'PEM certificate file for MQTT over TLS',
  BONKER_BROKER_TLS_KEY: 'PEM private key file for MQTT over TLS',
  BONKER_BROKER_HTTP_PORT: '/healthz, /readyz and /metrics; off to disable',
  BONKER_PERSISTENCE: 'level (LevelDB in BONKER_DATA_DIR, survives restarts), memory (tests) or redis://[[user]:password@]host[:port][/db]',
  BONKER_DATA_DIR: 'broker data directory (LevelDB); one broker at a time',
  BONKER_USERS_FILE: 'users and roles (JSON, scrypt hashes); required when listening beyond loopback',
  BONKER_TOPIC_PREFIX: 'first topic level(s), e.g. home/bonker',
  BONKER_BROKER_MAX_CONNECT_BYTES: 'largest first packet (the CONNECT, read before authentication), in bytes',
  BONKER_BROKER_MAX_PACKET_BYTES: 'largest packet after the CONNECT, and largest WebSocket message, in bytes',
  BONKER_BROKER_MAX_CONNECTIONS: 'open sockets on all MQTT listeners together; over it the oldest not logged in is closed',
  BONKER_BROKER_CONNECT_TIMEOUT_MS: 'a connection that has not sent its CONNECT by then is closed',
});

/** What one connection may cost the broker; sizes count whole packets, fixed header included. */
export interface BrokerLimits {
  /** The first packet, CONNECT, read before the client is authenticated. */
  maxConnectBytes: number;
  maxPacketBytes: number;
  /** Shared by the MQTT TCP, TLS and WebSocket listeners. */
  maxConnections: number;
  /** For CONNECT to arrive; a TLS handshake and a WebSocket upgrade request each get as long again. */
  connectTimeoutMs: number;
}

export interface BrokerConfig {
  host: string;
  mqttPort: number;
  /** undefined = listener off */
  wsPort: number | undefined;
  httpPort: number | undefined;
  /** Present only when both cert and key are set; the files are read when the broker starts. */
  tls: { port: number; certPath: string; keyPath: string } | undefined;
  persistence: PersistenceChoice;
  /** undefined = no users file: everyone is anonymous (only allowed on a loopback host). */
  users: User[] | undefined;
  allowAnonymous: boolean;
  topicPrefix: string;
  limits: BrokerLimits;
}

export function loadBrokerConfig(env: Env): BrokerConfig {
  // Every check runs even when another failed, so one start reports every problem.
  const problems: string[] = [];
  const raw = collectProblems(() => parseEnv(brokerEnvShape, env), problems);
  const tls = tlsOf(
    { certPath: env.BONKER_BROKER_TLS_CERT || undefined, keyPath: env.BONKER_BROKER_TLS_KEY || undefined },
    raw?.BONKER_BROKER_TLS_PORT ?? 0,
    problems,
  );
  const host = raw?.BONKER_BROKER_HOST ?? (env.BONKER_BROKER_HOST || '127.0.0.1');
  const users = usersOf(env.BONKER_USERS_FILE || undefined, host, problems);
  const limits = limitsOf(env, problems);
  if (problems.length || !raw || !limits) throw new ConfigError(problems);
  return {
    host: raw.BONKER_BROKER_HOST,
    mqttPort: raw.BONKER_BROKER_PORT,
    wsPort: raw.BONKER_BROKER_WS_PORT,
    httpPort: raw.BONKER_BROKER_HTTP_PORT,
    tls,
    persistence: persistenceOf(raw.BONKER_PERSISTENCE, raw.BONKER_DATA_DIR),
    users,
    allowAnonymous: users === undefined,
    topicPrefix: raw.BONKER_TOPIC_PREFIX,
    limits,
  };
}

function limitsOf(env: Env, problems: string[]): BrokerLimits | undefined {
  // Parsed apart so that the comparison runs even when an unrelated variable is bad; a bad limit itself was already
  // reported by the whole schema, hence the discarded problems.
  const raw = collectProblems(() => parseEnv(limitsEnvShape, env), []);
  if (!raw) return undefined;
  const limits = {
    maxConnectBytes: raw.BONKER_BROKER_MAX_CONNECT_BYTES,
    maxPacketBytes: raw.BONKER_BROKER_MAX_PACKET_BYTES,
    maxConnections: raw.BONKER_BROKER_MAX_CONNECTIONS,
    connectTimeoutMs: raw.BONKER_BROKER_CONNECT_TIMEOUT_MS,
  };
  if (limits.maxPacketBytes >= limits.maxConnectBytes) return limits;
  problems.push(
    `BONKER_BROKER_MAX_PACKET_BYTES: ${limits.maxPacketBytes} is below BONKER_BROKER_MAX_CONNECT_BYTES ` +
      `(${limits.maxConnectBytes}); expected at least that, because the CONNECT limit is the stricter one, before authentication`,
  );
  return undefined;
}

const PERSISTENCE_EXPECTED = `expected one of ${PERSISTENCE_KINDS.join(', ')}, or redis://host:port[/db] (several brokers)`;

/** `level`, `memory`, or a parsed redis:// URL; a bad value is reported with what is expected. */
function persistenceKind(value: string, ctx: z.RefinementCtx): 'level' | 'memory' | RedisTarget {
  if ((PERSISTENCE_KINDS as readonly string[]).includes(value)) return value as 'level' | 'memory';
  try {
    const redis = parseRedisUrl(value);
    if (redis) return redis;
  } catch (error) {
    // Never echo the value: a redis URL may hold a password.
    ctx.addIssue({ code: 'custom', message: `redis URL: ${(error as Error).message}` });
    return z.NEVER;
  }
  ctx.addIssue({ code: 'custom', message: PERSISTENCE_EXPECTED });
  return z.NEVER;
}

function persistenceOf(kind: 'level' | 'memory' | RedisTarget, dataDir: string): PersistenceChoice {
  if (kind === 'memory') return { kind: 'memory' };
  if (kind === 'level') return { kind: 'level', dataDir };
  return { kind: 'redis', redis: kind };
}


function tlsOf(
  { certPath, keyPath }: { certPath: string | undefined; keyPath: string | undefined },
  port: number,
  problems: string[],
): BrokerConfig['tls'] {
  if (!certPath && !keyPath) return undefined;
  if (!certPath || !keyPath) {
    const missing = certPath ? 'BONKER_BROKER_TLS_KEY' : 'BONKER_BROKER_TLS_CERT';
    problems.push(`${missing}: expected a path too, because TLS needs both BONKER_BROKER_TLS_CERT and BONKER_BROKER_TLS_KEY`);
    return undefined;
  }
  for (const [name, path] of [['BONKER_BROKER_TLS_CERT', certPath], ['BONKER_BROKER_TLS_KEY', keyPath]] as const) {
    try {
      accessSync(path, constants.R_OK);
    } catch {
      problems.push(`${name}: cannot read ${path}; expected a readable PEM file`);
    }
  }
  return { port, certPath, keyPath };
}

/** The users file, or undefined (anonymous) — which only a loopback broker may allow. */
function usersOf(usersFile: string | undefined, host: string, problems: string[]): User[] | undefined {
  if (usersFile) return collectProblems(() => readUsersFile(usersFile), problems);
  if (!isLoopbackHost(host)) {
    problems.push(
      `BONKER_USERS_FILE: required when BONKER_BROKER_HOST (${host}) is not loopback; ` +
        'expected the path of a users file, so that strangers cannot connect anonymously',
    );
  }
  return undefined;
}
