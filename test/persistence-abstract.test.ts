// aedes-persistence's abstract suite, the contract of every Aedes store, over the stores as the bundled broker wraps
// them (backend → store health → delivery guards), in node's own test runner, for memory and LevelDB. Redis' run is
// in the interop suite (test/interop/persistence-abstract-redis.test.ts): it needs Debian's redis-server.
import { describe, it } from 'vitest';
import { expectSuitePasses, SUITE_TIMEOUT_MS } from './persistence-abstract/run-suite.ts';

describe("aedes-persistence's abstract suite over the guarded stores", () => {
  it.each(['memory', 'level'])('%s: every test of the suite passes', (store) => expectSuitePasses(store), SUITE_TIMEOUT_MS);
});
