// The bonk command sent to `<prefix>/<device>/bonk`: JSON schema, plus the manual shorthands MQTT CLIs send.
import * as z from 'zod';
import { labelRecordSchema } from './label-record.ts';

export const BONK_PROTOCOL_VERSION = 1;
/** Largest `count` one command may ask for; the device's rate limit applies on top. */
export const MAX_BONK_COUNT = 10;
export const BONK_SOURCES = ['alertmanager', 'cli', 'manual', 'dashboard'] as const;

export const bonkIdSchema = z.string().min(1).max(128);

const bonkCommandShape = {
  v: z.literal(BONK_PROTOCOL_VERSION),
  /** Stable id: the device strikes each id at most once. */
  id: bonkIdSchema,
  count: z.number().int().min(1).max(MAX_BONK_COUNT),
  /** Human text for logs, e.g. the alert summary. */
  reason: z.string().max(1024),
  source: z.enum(BONK_SOURCES),
  /** Alert labels (namespace, pod, container, ...) or empty for manual bonks. */
  labels: labelRecordSchema,
  /** When the bonk was requested, epoch milliseconds (fractional: performance.timeOrigin + now()). */
  at: z.number().nonnegative(),
};
const BONK_FIELDS = Object.keys(bonkCommandShape).join(', ');

export const bonkCommandSchema = z.strictObject(bonkCommandShape, {
  // zod's default names the key but not what is allowed instead.
  error: (issue) =>
    issue.code === 'unrecognized_keys'
      ? `unknown field(s) ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}; expected only ${BONK_FIELDS}`
      : undefined,
});
export type BonkCommand = z.infer<typeof bonkCommandSchema>;

export type ParsedBonk =
  | { ok: true; command: BonkCommand }
  | { ok: false; error: string; /** the id, when the payload carried a usable one */ id?: string };

export interface ManualBonkDefaults {
  newId: () => string;
  now: () => number;
}

export function manualBonk(count: number, defaults: ManualBonkDefaults, source: BonkCommand['source'] = 'manual'): BonkCommand {
  return { v: 1, id: defaults.newId(), count, reason: 'manual bonk', source, labels: {}, at: defaults.now() };
}

const MANUAL_PRESS = 'PRESS';
const EXPECTED =
  `expected empty, "${MANUAL_PRESS}", an integer 1..${MAX_BONK_COUNT}, ` +
  `or JSON {"v":1,"id","count","reason","source","labels","at"}`;

/**
 * Reads a bonk payload. Empty and `PRESS` (Home Assistant's button) mean one manual bonk, a bare integer N means N.
 * Never throws: a bad payload yields a reason fit for a `rejected` ack.
 */
export function parseBonkPayload(payload: Uint8Array | string, defaults: ManualBonkDefaults): ParsedBonk {
  let text: string;
  try {
    text = typeof payload === 'string' ? payload : new TextDecoder('utf-8', { fatal: true }).decode(payload);
  } catch {
    return { ok: false, error: `payload is not valid UTF-8; ${EXPECTED}` };
  }
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === MANUAL_PRESS) return { ok: true, command: manualBonk(1, defaults) };
  if (/^[+-]?\d+$/.test(trimmed)) {
    const count = Number(trimmed);
    if (count < 1 || count > MAX_BONK_COUNT) {
      return { ok: false, error: `count ${trimmed} is out of range; ${EXPECTED}` };
    }
    return { ok: true, command: manualBonk(count, defaults) };
  }
  let json: unknown;
  try {
    json = JSON.parse(trimmed);
  } catch {
    return { ok: false, error: `payload ${JSON.stringify(preview(trimmed))} is not understood; ${EXPECTED}` };
  }
  const result = bonkCommandSchema.safeParse(json);
  if (result.success) return { ok: true, command: result.data };
  const id = idOf(json);
  return { ok: false, error: `invalid bonk command: ${describeIssues(result.error)}`, ...(id ? { id } : {}) };
}

export function encodeBonk(command: BonkCommand): string {
  return JSON.stringify(command);
}

/** `path: message` for every problem zod found, joined, so one answer names all of them. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

function idOf(json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null || !('id' in json)) return undefined;
  const parsed = bonkIdSchema.safeParse((json as { id: unknown }).id);
  return parsed.success ? parsed.data : undefined;
}

function preview(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
