// Bonks this edge recently had stored by the broker, so an alert Alertmanager sends again is not published again.
//
// Alertmanager re-sends every alert of a group whenever the group changes, on repeat_interval and from each member
// of an HA pair (docs/alertmanager.md): in an OOM storm most alerts in a notification are repeats. Their bonk id is
// the same, so the device would only answer `duplicate`; publishing them again costs a QoS 2 round trip and broker
// writes each.
// Within the window, a repeat is answered as soon as its first copy is stored, and a repeat that arrives while the
// first copy is still being stored waits for that same publish (and fails with it). The device's dedup store stays
// the guarantee; this only saves work, so it trusts the broker to keep what it stored for `windowMs` (level and redis
// persistence do; a memory-persistence broker restarted inside the window loses its queue either way).
import type { BonkCommand } from '../../contract/index.ts';

export interface StoredBonksOptions {
  /** How long a stored bonk counts as stored; 0 publishes every time. */
  windowMs: number;
  /** Bonks remembered: at least half of this many of the latest; older ones are forgotten (and published again). */
  max: number;
  now: () => number;
  /**
   * False in a Worker: a repeat arriving while its first copy is still being stored publishes again instead of
   * waiting for that publish, whose promise belongs to another request (workerd does not wake a request for I/O of
   * another). Only finished stores are shared, plain numbers, which outlive requests safely.
   */
  shareInFlight?: boolean;
}

export type SendBonks = (commands: BonkCommand[]) => Promise<void>;

export interface StoredBonks {
  /**
   * Stores `commands` for `device` through `send`, skipping those stored within the window or being stored now.
   * Resolves with how many were not sent again, once every command is stored; rejects if any could not be.
   */
  store(device: string, commands: BonkCommand[], send: SendBonks): Promise<number>;
}

export function createStoredBonks(options: StoredBonksOptions): StoredBonks {
  // Two generations instead of one map trimmed from its oldest end: deleting a Map's first entries leaves holes that
  // every later `keys().next()` walks again (V8), which cost 4 % of the edge's CPU with a full map (bench/RESULTS.md,
  // figure 1). When the current generation is half of `max`, it becomes the previous one and the one before is
  // forgotten.
  let current = new Map<string, number>();
  let previous = new Map<string, number>();
  const isStored = (key: string, now: number) => {
    const at = current.get(key) ?? previous.get(key);
    return at !== undefined && now - at < options.windowMs;
  };
  const storing = new Map<string, Promise<void>>();
  const remember = (key: string, now: number) => {
    current.set(key, now);
    if (current.size >= Math.max(1, options.max / 2)) {
      previous = current;
      current = new Map();
    }
  };
  return {
    async store(device, commands, send) {
      if (options.windowMs === 0) return send(commands).then(() => 0);
      const now = options.now();
      const others: Promise<void>[] = [];
      const fresh: BonkCommand[] = [];
      const keys: string[] = [];
      for (const command of commands) {
        const key = `${device}/${command.id}`;
        if (isStored(key, now)) continue;
        const pending = options.shareInFlight === false ? undefined : storing.get(key);
        if (pending) others.push(pending);
        else {
          fresh.push(command);
          keys.push(key);
        }
      }
      if (fresh.length > 0) {
        const sending = send(fresh);
        for (const key of keys) storing.set(key, sending);
        try {
          await sending;
          for (const key of keys) remember(key, options.now());
        } finally {
          for (const key of keys) storing.delete(key);
        }
      }
      await Promise.all(others);
      return commands.length - fresh.length;
    },
  };
}
