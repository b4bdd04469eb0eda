// Which store keeps sessions and queued messages: the one place a backend is chosen (redis:// slots in here later).
import { mkdir } from 'node:fs/promises';
import { Level } from 'level';
import levelPersistence from 'aedes-persistence-level';
import memoryPersistence from 'aedes-persistence';
import type { AedesPersistenceLike } from './ordered-persistence.ts';

export const PERSISTENCE_KINDS = ['level', 'memory'] as const;
export type PersistenceKind = (typeof PERSISTENCE_KINDS)[number];

/** Parsed BONKER_PERSISTENCE; a `{ kind: 'redis'; url }` variant is the planned addition. */
export type PersistenceChoice = { kind: 'memory' } | { kind: 'level'; dataDir: string };

export async function openPersistence(choice: PersistenceChoice): Promise<AedesPersistenceLike> {
  switch (choice.kind) {
    case 'memory':
      // Node hands ESM the CommonJS module.exports (the factory); the package's types claim an ES default export.
      return (memoryPersistence as unknown as () => AedesPersistenceLike)();
    case 'level': {
      await mkdir(choice.dataDir, { recursive: true });
      const db = new Level(choice.dataDir);
      // Opening now turns a locked or corrupt directory into a startup error instead of a failed first publish.
      await db.open();
      // level's put returns once the write is in the OS (no fsync): it survives a SIGKILL of the broker, not a
      // power cut, and nothing waits for close() to flush.
      return levelPersistence(db) as AedesPersistenceLike;
    }
  }
}

export function describePersistence(choice: PersistenceChoice): string {
  return choice.kind === 'level' ? `level (${choice.dataDir})` : choice.kind;
}
