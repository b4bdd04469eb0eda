// The device's answer on `<prefix>/<device>/ack`: exactly one per bonk command it received.
import * as z from 'zod';
import { labelRecordSchema } from './label-record.ts';
import { bonkIdSchema, type BonkCommand } from './bonk.ts';

export const ACK_RESULTS = ['done', 'duplicate', 'rejected', 'rate_limited'] as const;
export type AckResult = (typeof ACK_RESULTS)[number];

export const ackSchema = z.object({
  /** The command's id; for a payload too broken to carry one, an id the device generated. */
  id: bonkIdSchema,
  result: z.enum(ACK_RESULTS),
  /** Strikes actually made for this command. */
  bonks: z.number().int().nonnegative(),
  /** Epoch ms; null when nothing moved. */
  startedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
  /** Why it was rejected, rate limited or cut short. */
  error: z.string().optional(),
  /** Echo of the command's reason, source and labels, so watchers can show what caused the bonk. */
  reason: z.string().optional(),
  /** A string, not the enum of sources: an older watcher must not drop the ack of a source added later. */
  source: z.string().optional(),
  labels: labelRecordSchema.optional(),
});
export type Ack = z.infer<typeof ackSchema>;

/** What an ack repeats of its command: the id, and the reason, source and labels that say what caused the bonk. */
export type AckEcho = Pick<Ack, 'id' | 'reason' | 'source' | 'labels'>;

export function ackEcho(command: BonkCommand): AckEcho {
  return { id: command.id, reason: command.reason, source: command.source, labels: command.labels };
}

/** The ack of a command that moved nothing: a duplicate, a rejected payload or a rate-limited command. */
export function unstruckAck(echo: AckEcho, result: Exclude<AckResult, 'done'>, error?: string): Ack {
  return { ...echo, result, bonks: 0, startedAt: null, finishedAt: null, ...(error === undefined ? {} : { error }) };
}

export function encodeAck(ack: Ack): string {
  return JSON.stringify(ack);
}

export function parseAck(payload: Uint8Array | string): Ack | undefined {
  try {
    const text = typeof payload === 'string' ? payload : new TextDecoder().decode(payload);
    const parsed = ackSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
