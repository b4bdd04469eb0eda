// Order per command: parse → dedup check → (rate limit) → strike → record id; says whether to PUBACK.
import { ackEcho, parseBonkPayload, unstruckAck, type Ack, type Logger } from '../contract/index.ts';
import { StrikeFailedError, type BonkRunner } from './bonk-runner.ts';
import type { DedupStore } from './dedup-store.ts';

export type Decision =
  /** PUBACK, then publish this ack. */
  | { kind: 'answer'; ack: Ack }
  /** No PUBACK: the answer could not be recorded; reconnect later so the broker redelivers. */
  | { kind: 'retry' }
  /** No PUBACK and nothing else: the agent is stopping before anything moved. */
  | { kind: 'leave' };

export const RETAINED_REFUSED =
  'retained bonk commands are not obeyed (they would bonk again on every new subscription); publish without the retain flag';

export interface CommandHandler {
  /** `retained`: the broker replayed a retained message on subscribe, not a fresh command. */
  handle(payload: Uint8Array, opts?: { retained?: boolean }): Promise<Decision>;
}

export function createCommandHandler(deps: {
  store: DedupStore;
  runner: BonkRunner;
  now: () => number;
  logger: Logger;
  newId?: () => string;
}): CommandHandler {
  const { store, runner, now, logger } = deps;
  // The global Web Crypto, loaded on the first manual bonk: node:crypto at start-up costs a Pi-class CPU 0.3 s.
  const newId = deps.newId ?? (() => crypto.randomUUID());
  // Struck but not yet on disk: a redelivery retries the record instead of striking again.
  const unrecorded = new Map<string, Ack>();

  return {
    async handle(payload, opts = {}) {
      const parsed = parseBonkPayload(payload, { newId, now });
      // A retained manual bonk (fresh id each time) would strike again on every new subscription.
      if (opts.retained || !parsed.ok) {
        const id = (parsed.ok ? parsed.command.id : parsed.id) ?? newId();
        const error = parsed.ok ? RETAINED_REFUSED : parsed.error;
        logger.warn({ id, error }, 'rejected bonk command');
        return { kind: 'answer', ack: unstruckAck({ id }, 'rejected', error) };
      }
      const { command } = parsed;
      const seen = store.get(command.id);
      if (seen) {
        logger.info({ id: command.id, first: seen.result }, 'duplicate bonk command, not striking');
        return { kind: 'answer', ack: unstruckAck(ackEcho(command), 'duplicate') };
      }
      let ack: Ack | undefined;
      try {
        ack = unrecorded.get(command.id) ?? (await runner.run(command));
      } catch (error) {
        if (!(error instanceof StrikeFailedError)) throw error;
        // No PUBACK, and reconnect with backoff so the broker redelivers it: a `done` ack would lose the bonk.
        logger.error({ id: command.id, error: error.message }, 'strike failed; not acknowledging, the bonk will be redelivered');
        return { kind: 'retry' };
      }
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
