// The dedup store's health as the device reports it: a store that cannot write (full disk, read-only state directory)
// leaves every bonk unacknowledged and redelivered, so it must be a visible state, not only an error line.
import type { DeviceEvents } from './device-events.ts';
import type { DedupStoreHealth } from '../contract/index.ts';
import type { DedupStore } from './dedup-store.ts';

/** The same store, emitting 'dedup-store' (DedupStoreHealth) when a write fails and when writing works again. */
export function watchDedupStore(store: DedupStore, events: DeviceEvents): DedupStore & { health(): DedupStoreHealth } {
  let health: DedupStoreHealth = { ok: true, failures: 0 };
  return {
    get: (id) => store.get(id),
    get size() {
      return store.size;
    },
    health: () => health,
    async record(entry) {
      try {
        await store.record(entry);
      } catch (error) {
        health = { ok: false, failures: health.failures + 1, error: (error as Error).message };
        events.emit('dedup-store', health);
        throw error;
      }
      if (!health.ok) {
        health = { ok: true, failures: health.failures };
        events.emit('dedup-store', health);
      }
    },
  };
}
