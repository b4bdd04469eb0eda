// Property-based fuzzing of MQTT bonk payloads: 100,000 through the agent's command handler (real dedup store on
// disk, a runner that records instead of striking) → never a throw, and a `rejected` ack with a reason for bad input.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ackSchema, encodeBonk, MAX_BONK_COUNT, parseBonkPayload, silentLogger, type Ack, type BonkCommand } from '../../contract/index.ts';
import type { BonkRunner } from '../../device/bonk-runner.ts';
import { createCommandHandler, type CommandHandler } from '../../device/command-handler.ts';
import { createDedupStore } from '../../device/dedup-store.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const RUNS = Number(process.env.BONKER_FUZZ_RUNS ?? 100_000);
const encoder = new TextEncoder();

const command = fc.record({
  v: fc.constant(1),
  // A small id space, so most valid commands are duplicates and the store's fsync per record stays rare.
  id: fc.constantFrom(...Array.from({ length: 20 }, (_, i) => `alert-${i}`)),
  count: fc.integer({ min: 1, max: MAX_BONK_COUNT }),
  reason: fc.string({ maxLength: 40 }),
  source: fc.constantFrom('alertmanager', 'cli', 'manual', 'dashboard'),
  labels: fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 12 }), { maxKeys: 4 }),
  at: fc.double({ min: 0, max: 4e12, noNaN: true }),
});

/** One field replaced by anything, removed, or an unknown one added: near misses of a valid command. */
const brokenCommand = fc
  .tuple(command, fc.constantFrom('v', 'id', 'count', 'reason', 'source', 'labels', 'at', 'extra'), fc.jsonValue({ maxDepth: 2 }), fc.boolean())
  .map(([valid, key, value, remove]) => {
    const broken: Record<string, unknown> = { ...valid };
    if (remove) delete broken[key];
    else broken[key] = value;
    return JSON.stringify(broken);
  });

const payload: fc.Arbitrary<Uint8Array> = fc
  .oneof(
    { arbitrary: command.map((c) => encodeBonk(c as BonkCommand)), weight: 10 },
    { arbitrary: brokenCommand, weight: 30 },
    // Manual shorthands and their near misses: integers in and out of range, signs, padding, huge numbers.
    { arbitrary: fc.oneof(fc.integer({ min: -20, max: 30 }).map(String), fc.bigInt().map(String)), weight: 5 },
    { arbitrary: fc.constantFrom('', ' ', 'PRESS', 'press', ' PRESS\n', '+3', '1.5', '1e1', '0x5', '١'), weight: 3 },
    { arbitrary: fc.tuple(command, fc.nat()).map(([c, n]) => encodeBonk(c as BonkCommand).slice(0, n % 120)), weight: 10 },
    { arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? ''), weight: 10 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 120 }), weight: 10 },
    { arbitrary: fc.integer({ min: 10, max: 10_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`), weight: 1 },
    { arbitrary: fc.uint8Array({ maxLength: 200 }), weight: 10 },
  )
  .map((value) => (typeof value === 'string' ? encoder.encode(value) : value));

/** Answers 'done' at once; what the fuzz checks is the handler, not the servo. */
function recordingRunner(runs: BonkCommand[]): BonkRunner {
  return {
    async run(c) {
      runs.push(c);
      return { id: c.id, result: 'done', bonks: c.count, startedAt: c.at, finishedAt: c.at, reason: c.reason, labels: c.labels };
    },
  };
}

let state: Awaited<ReturnType<typeof makeTempDir>>;
let handler: CommandHandler;
const runs: BonkCommand[] = [];
let manual = 0;

beforeAll(async () => {
  state = await makeTempDir('bonker-fuzz-');
  const store = await createDedupStore({ dir: state.path, maxEntries: 1_000, logger: silentLogger });
  // Manual bonks get fresh ids; a small pool keeps them mostly duplicates too.
  const newId = () => `manual-${manual++ % 20}`;
  handler = createCommandHandler({ store, runner: recordingRunner(runs), now: Date.now, logger: silentLogger, newId });
});
afterAll(() => state?.remove());

function check(ok: boolean, what: string, detail: unknown): void {
  if (!ok) throw new Error(`${what}: ${JSON.stringify(detail)}`);
}

describe('bonk payload fuzzing (fast-check)', () => {
  it(`answers ${RUNS} generated payloads: valid ones run, invalid ones are rejected with a reason`, async () => {
    const results = new Map<string, number>();
    const started = performance.now();
    await fc.assert(
      fc.asyncProperty(payload, fc.nat(49), async (bytes, retainedDraw) => {
        const retained = retainedDraw === 0;
        const parsed = parseBonkPayload(bytes, { newId: () => 'probe', now: Date.now });
        const decision = await handler.handle(bytes, { retained });
        check(decision.kind === 'answer', 'the handler did not answer', decision);
        const ack = (decision as { ack: Ack }).ack;
        check(ackSchema.safeParse(ack).success, 'the ack breaks the contract', ack);
        results.set(ack.result, (results.get(ack.result) ?? 0) + 1);
        if (parsed.ok && !retained) check(ack.result === 'done' || ack.result === 'duplicate', 'a valid command was not run', ack);
        else {
          check(ack.result === 'rejected' && ack.bonks === 0, 'bad input not rejected', ack);
          // Either what was expected, or the field at fault (zod's "Unrecognized key" names the key, not the schema).
          const why = /expected|retained/.test(ack.error ?? '') || /^invalid bonk command: \S+: \S/.test(ack.error ?? '');
          check(why, 'rejected without saying why', ack);
        }
      }),
      { numRuns: RUNS },
    );
    const total = [...results.values()].reduce((a, b) => a + b, 0);
    expect(total).toBe(RUNS);
    expect(results.get('rejected')).toBeGreaterThan(RUNS / 4);
    expect((results.get('done') ?? 0) + (results.get('duplicate') ?? 0)).toBeGreaterThan(RUNS / 20);
    expect(runs.length).toBe(results.get('done'));
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    process.stdout.write(`bonk payload fuzz: ${total} payloads in ${seconds} s, acks ${JSON.stringify(Object.fromEntries(results))}\n`);
  }, 180_000);
});
