// Order per command: parse → dedup check → (rate limit) → strike → record id; says whether to PUBACK.
import { randomUUID } from 'node:crypto';
import { parseBonkPayload, type Ack, type Logger } from '../contract/index.ts';
import type { BonkRunner } from './bonk-runner.ts';
import type { DedupStore } from './dedup-store.ts';

export type Decision =
  /** PUBACK, then publish this ack. */
  | { kind: 'answer'; ack: Ack }
  /** No PUBACK: the answer could not be recorded; reconnect later so the broker redelivers. */
  | { kind: 'retry' }
  /** No PUBACK and nothing else: the agent is stopping before anything moved. */
  | { kind: 'leave' };

export interface CommandHandler {
  handle(payload: Uint8Array): Promise<Decision>;
}

export function createCommandHandler(deps: {
  store: DedupStore;
  runner: BonkRunner;
  now: () => number;
  logger: Logger;
  newId?: () => string;
}): CommandHandler {
  const { store, runner, now, logger } = deps;
  const newId = deps.newId ?? randomUUID;
  // Struck but not yet on disk: a redelivery retries the record instead of striking again.
  const unrecorded = new Map<string, Ack>();

  return {
    async handle(payload) {
      const parsed = parseBonkPayload(payload, { newId, now });
      if (!parsed.ok) {
        logger.warn({ id: parsed.id, error: parsed.error }, 'rejected bonk command');
        const id = parsed.id ?? newId();
        return { kind: 'answer', ack: { id, result: 'rejected', bonks: 0, startedAt: null, finishedAt: null, error: parsed.error } };
      }
      const { command } = parsed;
      const echo = { id: command.id, reason: command.reason, labels: command.labels };
      const seen = store.get(command.id);
      if (seen) {
        logger.info({ id: command.id, first: seen.result }, 'duplicate bonk command, not striking');
        return { kind: 'answer', ack: { ...echo, result: 'duplicate', bonks: 0, startedAt: null, finishedAt: null } };
      }
      const ack = unrecorded.get(command.id) ?? (await runner.run(command));
      if (!ack) return { kind: 'leave' };
      try {
        await store.record({ id: ack.id, result: ack.result, bonks: ack.bonks, at: now() });
      } catch (error) {
        unrecorded.set(ack.id, ack);
        logger.error({ err: error, id: ack.id }, 'cannot record the bonk id; not acknowledging so the broker keeps it');
        return { kind: 'retry' };
      }
      unrecorded.delete(ack.id);
      return { kind: 'answer', ack };
    },
  };
}
