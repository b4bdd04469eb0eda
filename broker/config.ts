// Broker settings from BONKER_* variables: listeners, TLS, persistence, users file, and who may connect anonymously.
import { accessSync, constants } from 'node:fs';
import { z } from 'zod';
import { ConfigError, envValue, isLoopbackHost, parseEnv, topicPrefixSchema, DEFAULT_TOPIC_PREFIX, type Env } from '../contract/index.ts';
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

export const brokerEnvShape = {
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
  if (problems.length || !raw) throw new ConfigError(problems);
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
  };
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

function collectProblems<T>(load: () => T, problems: string[]): T | undefined {
  try {
    return load();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
    return undefined;
  }
}
