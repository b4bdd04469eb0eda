// Broker settings from BONKER_* variables: listeners, TLS, persistence, users file, and who may connect anonymously.
import { accessSync, constants } from 'node:fs';
import { z } from 'zod';
import { ConfigError, envValue, isLoopbackHost, parseEnv, topicPrefixSchema, DEFAULT_TOPIC_PREFIX, type Env } from '../contract/index.ts';
import { readUsersFile, type User } from './users-file.ts';
import { PERSISTENCE_KINDS, type PersistenceChoice } from './persistence.ts';

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

export const brokerEnvShape = {
  BONKER_BROKER_HOST: envValue.host('127.0.0.1'),
  BONKER_BROKER_PORT: envValue.port(1883),
  BONKER_BROKER_WS_PORT: portOrOff(9001),
  BONKER_BROKER_TLS_PORT: envValue.port(8883),
  BONKER_BROKER_TLS_CERT: optionalPath,
  BONKER_BROKER_TLS_KEY: optionalPath,
  BONKER_BROKER_HTTP_PORT: portOrOff(9102),
  BONKER_PERSISTENCE: z
    .enum(PERSISTENCE_KINDS, { error: `expected one of ${PERSISTENCE_KINDS.join(', ')}` })
    .default('level'),
  BONKER_DATA_DIR: z.string().min(1).default('.bonker/broker'),
  BONKER_USERS_FILE: optionalPath,
  BONKER_TOPIC_PREFIX: topicPrefixSchema.default(DEFAULT_TOPIC_PREFIX),
};

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
}

export function loadBrokerConfig(env: Env): BrokerConfig {
  const raw = parseEnv(brokerEnvShape, env);
  const problems: string[] = [];
  const tls = tlsOf(raw, problems);
  let users: User[] | undefined;
  if (raw.BONKER_USERS_FILE) {
    try {
      users = readUsersFile(raw.BONKER_USERS_FILE);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
    }
  } else if (!isLoopbackHost(raw.BONKER_BROKER_HOST)) {
    problems.push(
      `BONKER_USERS_FILE: required when BONKER_BROKER_HOST (${raw.BONKER_BROKER_HOST}) is not loopback; ` +
        'expected the path of a users file, so that strangers cannot connect anonymously',
    );
  }
  if (problems.length) throw new ConfigError(problems);
  return {
    host: raw.BONKER_BROKER_HOST,
    mqttPort: raw.BONKER_BROKER_PORT,
    wsPort: raw.BONKER_BROKER_WS_PORT,
    httpPort: raw.BONKER_BROKER_HTTP_PORT,
    tls,
    persistence:
      raw.BONKER_PERSISTENCE === 'memory' ? { kind: 'memory' } : { kind: 'level', dataDir: raw.BONKER_DATA_DIR },
    users,
    allowAnonymous: users === undefined,
    topicPrefix: raw.BONKER_TOPIC_PREFIX,
  };
}

type RawConfig = ReturnType<typeof parseEnv<typeof brokerEnvShape>>;

function tlsOf(raw: RawConfig, problems: string[]): BrokerConfig['tls'] {
  const certPath = raw.BONKER_BROKER_TLS_CERT;
  const keyPath = raw.BONKER_BROKER_TLS_KEY;
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
  return { port: raw.BONKER_BROKER_TLS_PORT, certPath, keyPath };
}
