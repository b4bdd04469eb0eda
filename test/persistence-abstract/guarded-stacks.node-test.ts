// aedes-persistence's own abstract suite (the contract every Aedes store runs) over the store as the bundled broker
// wraps it: the backend, store-health.ts and the delivery guards. Run by node's test runner (the suite is written
// for node:test): `node --import tsx --test test/persistence-abstract/guarded-stacks.node-test.ts`, with
// BONKER_ABSTRACT_STORE=memory|level|redis (redis also needs BONKER_ABSTRACT_REDIS_URL); run-suite.ts runs it.
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test, { after } from 'node:test';
import { Redis } from 'ioredis';
import { silentLogger } from '../../contract/index.ts';
import { guardPersistence } from '../../broker/delivery-guards/index.ts';
import { openBackend, parseRedisUrl, type Backend, type PersistenceChoice } from '../../broker/persistence.ts';
import { watchStoreHealth } from '../../broker/store-health.ts';

const abstractPersistence = createRequire(import.meta.url)('aedes-persistence/abstract') as (opts: object) => void;
const kind = process.env.BONKER_ABSTRACT_STORE ?? 'memory';
const REDIS_URL = 'BONKER_ABSTRACT_REDIS_URL';

function choice(): PersistenceChoice {
  if (kind === 'memory') return { kind: 'memory' };
  if (kind === 'level') return { kind: 'level', dataDir: mkdtempSync(path.join(tmpdir(), 'bonker-abstract-')) };
  if (kind === 'redis') return { kind: 'redis', redis: redisTarget() };
  throw new Error(`BONKER_ABSTRACT_STORE: expected memory, level or redis, got ${kind}`);
}

function redisTarget() {
  const url = process.env[REDIS_URL];
  if (!url) throw new Error(`${REDIS_URL} is not set: give the redis://127.0.0.1:port/db of a redis-server this suite may empty`);
  const target = parseRedisUrl(url);
  if (!target) throw new Error(`${REDIS_URL}: expected redis://host:port/db, got ${url}`);
  return target;
}

/**
 * Every test expects an empty store, and Redis keeps what the previous test's instance wrote; aedes-persistence-redis'
 * own run of this suite empties Redis before each instance too (it FLUSHALLs; FLUSHDB leaves other databases be).
 */
async function emptied(chosen: PersistenceChoice): Promise<void> {
  if (chosen.kind !== 'redis') return;
  const { host, port, db } = chosen.redis;
  const conn = new Redis({ host, port, db, lazyConnect: true });
  try {
    await conn.connect();
    await conn.flushdb();
  } finally {
    conn.disconnect();
  }
}

/** The store's destroy() closes its own Redis connection but not the emitter's two; left open, node would not exit. */
function closeEmitter(mq: Backend['mq']): Promise<void> {
  return new Promise((resolve) => (mq ? mq.close(resolve) : resolve()));
}

// A test that fails before its cleanup leaves its instance open, and open Redis connections would keep the run from
// ever ending; destroy those once every test is done.
const undestroyed = new Set<() => Promise<void>>();
after(async () => {
  for (const destroy of undestroyed) await destroy().catch(() => {});
});

abstractPersistence({
  test,
  // Aedes 1.x stores are promise-based: the suite calls setup(broker) and the methods' promises directly.
  testAsync: true,
  async persistence() {
    const chosen = choice();
    await emptied(chosen);
    const { persistence, mq } = await openBackend(chosen, silentLogger);
    const watched = watchStoreHealth(persistence, { logger: silentLogger, onFailure: () => {} });
    const guarded = guardPersistence(watched.persistence, silentLogger, { ordered: true });
    const destroy = async () => {
      undestroyed.delete(destroy);
      try {
        await guarded.destroy();
      } finally {
        await closeEmitter(mq);
      }
    };
    undestroyed.add(destroy);
    // The suite reads `broker.id`, which setup() sets on the store itself, for its fixtures; Aedes never reads it.
    return Object.defineProperty({ ...guarded, destroy }, 'broker', { get: () => (persistence as { broker?: unknown }).broker });
  },
});
