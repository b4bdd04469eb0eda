// aedes-persistence's own abstract suite (the contract every Aedes store runs) over the store as the bundled broker
// wraps it: the backend, store-health.ts and the delivery guards. Run by node's test runner (the suite is written
// for node:test): `node --import tsx --test test/persistence-abstract/guarded-stacks.node-test.ts`, with
// BONKER_ABSTRACT_STORE=memory|level; test/persistence-abstract.test.ts runs it for each.
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'node:test';
import { silentLogger } from '../../contract/index.ts';
import { guardPersistence } from '../../broker/delivery-guards/index.ts';
import { openBackend, type PersistenceChoice } from '../../broker/persistence.ts';
import { watchStoreHealth } from '../../broker/store-health.ts';

const abstractPersistence = createRequire(import.meta.url)('aedes-persistence/abstract') as (opts: object) => void;
const kind = process.env.BONKER_ABSTRACT_STORE ?? 'memory';

function choice(): PersistenceChoice {
  if (kind === 'memory') return { kind: 'memory' };
  if (kind === 'level') return { kind: 'level', dataDir: mkdtempSync(path.join(tmpdir(), 'bonker-abstract-')) };
  throw new Error(`BONKER_ABSTRACT_STORE: expected memory or level, got ${kind}`);
}

abstractPersistence({
  test,
  // Aedes 1.x stores are promise-based: the suite calls setup(broker) and the methods' promises directly.
  testAsync: true,
  async persistence() {
    const { persistence } = await openBackend(choice(), silentLogger);
    const watched = watchStoreHealth(persistence, { logger: silentLogger, onFailure: () => {} });
    const guarded = guardPersistence(watched.persistence, silentLogger, { ordered: true });
    // The suite reads `broker.id`, which setup() sets on the store itself, for its fixtures; Aedes never reads it.
    return Object.defineProperty(guarded, 'broker', { get: () => (persistence as { broker?: unknown }).broker });
  },
});
