// aedes-persistence's abstract suite over the Redis store as the bundled broker opens and wraps it
// (BONKER_PERSISTENCE=redis://… → aedes-persistence-redis → store health → delivery guards), against Debian's
// redis-server; memory and LevelDB run in test/persistence-abstract.test.ts.
import { afterAll, beforeAll, describe, it } from 'vitest';
import { expectSuitePasses, SUITE_TIMEOUT_MS } from '../persistence-abstract/run-suite.ts';
import { startRedis, type RedisServer } from '../helpers/redis.ts';

/**
 * Upstream's, not ours. aedes-persistence 11 added cleanIncoming(client), "remove every stored incoming QoS 2 packet
 * of the client", and this test of it (https://github.com/moscajs/aedes-persistence/pull/111). aedes-persistence-redis
 * 11.2.2 predates it: it stores each flow under its own key, with no per-client index to delete by, and has no
 * cleanIncoming. 12.0.0 adds it (https://github.com/moscajs/aedes-persistence-redis/pull/127) but is outside Aedes
 * 1.2.0's peer range (^11.2.1). Our clean-session guard answers cleanIncoming for every store (clean sessions' flows
 * are in its memory) and passes the call on only to a store that has it, so the persistent client's records stay in
 * Redis and the test reads them back. The bare 11.2.2 store fails this test and "…with no stored packets" too
 * (cleanIncoming is not a function).
 */
const KNOWN_FAILURES = ['clean incoming packets'];

let redis: RedisServer | undefined;

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await redis?.close();
});

describe("aedes-persistence's abstract suite over the guarded Redis store", () => {
  it(
    'every test of the suite passes but the one aedes-persistence-redis 11.2.2 cannot',
    () => expectSuitePasses('redis', { env: { BONKER_ABSTRACT_REDIS_URL: redis!.url }, knownFailures: KNOWN_FAILURES }),
    SUITE_TIMEOUT_MS,
  );
});
