// Which store keeps sessions and queued messages, and which emitter links brokers: the one place a backend is chosen.
import type { Redis, RedisOptions } from 'ioredis';
import type { Logger } from '../contract/index.ts';
import { openLevelDataDir } from './data-dir.ts';
import type { AedesPersistenceLike } from './delivery-guards/ordered-persistence.ts';

export const PERSISTENCE_KINDS = ['level', 'memory'] as const;
export type PersistenceKind = (typeof PERSISTENCE_KINDS)[number];

/** Where a Redis backend lives, parsed from `redis://[[user]:password@]host[:port][/db]` (rediss:// for TLS). */
export interface RedisTarget {
  host: string;
  port: number;
  db: number;
  tls: boolean;
  username?: string;
  password?: string;
}

/** Parsed BONKER_PERSISTENCE. */
export type PersistenceChoice =
  | { kind: 'memory' }
  | { kind: 'level'; dataDir: string }
  | { kind: 'redis'; redis: RedisTarget };

/** The message emitter Aedes links clients through; Redis' one carries publishes between brokers. */
export interface ClusterEmitter {
  close(callback: () => void): void;
}

/**
 * Messages a reconnecting session gets from Redis in one go (aedes-persistence-redis `outgoingStream` reads at most
 * this many; the rest would wait for the next reconnect). Its default, 1,000, is below what a long outage can queue.
 */
const MAX_SESSION_DELIVERY = 100_000;

/** Returns undefined when `value` is not a redis URL; throws an Error saying what is wrong when it is a bad one. */
export function parseRedisUrl(value: string): RedisTarget | undefined {
  if (!/^rediss?:\/\//.test(value)) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error('not a valid URL; expected redis://[[user]:password@]host[:port][/db]');
  }
  const db = url.pathname.replace(/^\//, '') || '0';
  if (!/^\d+$/.test(db) || Number(db) > 15) throw new Error(`database "${db}" is not a number 0-15; expected redis://host:port/db`);
  if (!url.hostname) throw new Error('no host; expected redis://host:port[/db]');
  if (url.search || url.hash) throw new Error('query and fragment are not supported; expected redis://host:port[/db]');
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: Number(url.port) || 6379,
    db: Number(db),
    tls: url.protocol === 'rediss:',
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
  };
}

/** What the broker runs on: the store, and for Redis the emitter that links it to the other brokers. */
export interface Backend {
  persistence: AedesPersistenceLike;
  /** Aedes' `mq` option; undefined keeps Aedes' in-process emitter. Aedes closes it in close(). */
  mq?: ClusterEmitter;
}

/*
 * Each backend's libraries are imported when it is opened, not with this module: broker/config.ts imports it, and a
 * broker on LevelDB (or the help text) need not load ioredis and the Redis emitter, nor a Redis broker LevelDB. Part
 * of `oom-bonker up`'s start-up on a Pi-class CPU (bench/RESULTS.md, "Pi-class budget").
 */
export async function openBackend(choice: PersistenceChoice, logger: Logger): Promise<Backend> {
  if (choice.kind !== 'redis') return { persistence: await openPersistence(choice) };
  const [{ default: redisPersistence }, { default: mqemitterRedis }] = await Promise.all([
    import('aedes-persistence-redis'),
    import('mqemitter-redis'),
  ]);
  // Three connections: the store's, and the emitter's publish and subscribe ones (a subscribed connection can do
  // nothing else). Opened here rather than by the libraries so that an unreachable Redis fails start-up with a clear
  // error instead of hanging, and so that their errors reach our log instead of ioredis' stderr warning.
  const [db, pubConn, subConn] = await connectAll(choice.redis, logger, ['store', 'emitter-pub', 'emitter-sub']);
  const persistence = (redisPersistence as unknown as (opts: object) => AedesPersistenceLike)({
    conn: db,
    maxSessionDelivery: MAX_SESSION_DELIVERY,
  });
  // Every broker sharing the store must share the emitter too, or a message published on one never reaches clients
  // connected to another.
  const mq = mqemitterRedis({ pubConn, subConn } as Parameters<typeof mqemitterRedis>[0]);
  // mqemitter-redis re-emits connection errors on `state`; unheard, an EventEmitter 'error' would crash the broker
  // whenever Redis restarts. ioredis reconnects by itself and resubscribes. (Already logged by connectAll.)
  (mq as unknown as { state: NodeJS.EventEmitter }).state.on('error', () => {});
  return { persistence, mq: mq as unknown as ClusterEmitter };
}

async function connectAll(target: RedisTarget, logger: Logger, roles: string[]): Promise<Redis[]> {
  const { Redis } = await import('ioredis');
  const { host, port, db, username, password } = target;
  const options: RedisOptions = {
    host, port, db, ...(username ? { username } : {}), ...(password ? { password } : {}), ...(target.tls ? { tls: {} } : {}),
    lazyConnect: true,
    connectTimeout: 5_000,
  };
  let lastError: Error | undefined;
  const conns = roles.map((role) => {
    // mqemitter-redis pipelines its own publish connection; keep that (one round trip per burst, order unchanged).
    const conn = new Redis({ ...options, ...(role === 'emitter-pub' ? { enableAutoPipelining: true } : {}) });
    conn.on('error', (error: Error) => {
      lastError = error;
      logger.warn({ redis: role, err: error.message }, 'redis connection error (retrying)');
    });
    return conn;
  });
  try {
    await Promise.all(conns.map((conn) => conn.connect()));
    return conns;
  } catch (error) {
    for (const conn of conns) conn.disconnect();
    // ioredis rejects with "Connection is closed."; the error event before it says why.
    const why = (lastError ?? (error as Error)).message;
    throw new Error(`cannot reach Redis at ${describePersistence({ kind: 'redis', redis: target })} (${why}); expected a running redis-server there`);
  }
}

export async function openPersistence(choice: Exclude<PersistenceChoice, { kind: 'redis' }>): Promise<AedesPersistenceLike> {
  switch (choice.kind) {
    case 'memory': {
      const { default: memoryPersistence } = await import('aedes-persistence');
      // Node hands ESM the CommonJS module.exports (the factory); the package's types claim an ES default export.
      return (memoryPersistence as unknown as () => AedesPersistenceLike)();
    }
    case 'level': {
      const { default: levelPersistence } = await import('aedes-persistence-level');
      // Opening now turns a locked or corrupt directory into a startup error instead of a failed first publish.
      const db = await openLevelDataDir(choice.dataDir);
      // level's put returns once the write is in the OS (no fsync): it survives a SIGKILL of the broker, not a
      // power cut, and nothing waits for close() to flush.
      return levelPersistence(db) as AedesPersistenceLike;
    }
  }
}

/** For logs: never includes a password. */
export function describePersistence(choice: PersistenceChoice): string {
  switch (choice.kind) {
    case 'level':
      return `level (${choice.dataDir})`;
    case 'redis': {
      const { host, port, db, tls } = choice.redis;
      return `redis (${tls ? 'rediss' : 'redis'}://${host.includes(':') ? `[${host}]` : host}:${port}/${db})`;
    }
    default:
      return choice.kind;
  }
}
