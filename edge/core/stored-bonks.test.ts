// What the edge remembers of stored bonks: repeats inside the window skip the broker, everything else is sent.
import { describe, expect, it } from 'vitest';
import type { BonkCommand } from '../../contract/index.ts';
import { createStoredBonks, type StoredBonksOptions } from './stored-bonks.ts';

const command = (id: string): BonkCommand => ({ v: 1, id, count: 1, reason: 'test', source: 'alertmanager', labels: {}, at: 0 });

function world(options: Partial<StoredBonksOptions> = {}) {
  let clock = 0;
  const stored = createStoredBonks({ windowMs: 1_000, max: 100, now: () => clock, ...options });
  const sent: string[][] = [];
  const send = async (commands: BonkCommand[]) => void sent.push(commands.map((c) => c.id));
  return { stored, sent, send, advance: (ms: number) => (clock += ms) };
}

/** A send that settles when the test says so, to have two requests overlap. */
function heldSend() {
  const sent: string[][] = [];
  let settle!: { resolve(): void; reject(error: Error): void };
  const send = (commands: BonkCommand[]) =>
    new Promise<void>((resolve, reject) => {
      sent.push(commands.map((c) => c.id));
      settle = { resolve, reject };
    });
  return { sent, send, settle: () => settle };
}

describe('stored bonks', () => {
  it('sends a bonk once within the window and again after it', async () => {
    const { stored, sent, send, advance } = world();
    expect(await stored.store('tux', [command('a')], send)).toBe(0);
    advance(999);
    expect(await stored.store('tux', [command('a'), command('b')], send)).toBe(1);
    advance(1);
    expect(await stored.store('tux', [command('a')], send)).toBe(0);
    expect(sent).toEqual([['a'], ['b'], ['a']]);
  });

  it('keeps devices apart', async () => {
    const { stored, sent, send } = world();
    await stored.store('tux', [command('a')], send);
    await stored.store('shelf', [command('a')], send);
    expect(sent).toEqual([['a'], ['a']]);
  });

  it('lets a repeat arriving mid-publish wait for that publish instead of sending again', async () => {
    const { stored } = world();
    const held = heldSend();
    const first = stored.store('tux', [command('a')], held.send);
    let secondDone = false;
    const second = stored.store('tux', [command('a')], held.send).then((n) => ((secondDone = true), n));
    await Promise.resolve();
    expect(secondDone).toBe(false);
    held.settle().resolve();
    expect(await Promise.all([first, second])).toEqual([0, 1]);
    expect(held.sent).toEqual([['a']]);
  });

  it('without shareInFlight (a Worker) sends a mid-publish repeat again, and still answers later repeats from memory', async () => {
    const { stored, sent, send } = world({ shareInFlight: false });
    const held = heldSend();
    const first = stored.store('tux', [command('a')], held.send);
    expect(await stored.store('tux', [command('a')], send)).toBe(0);
    held.settle().resolve();
    expect(await first).toBe(0);
    expect(await stored.store('tux', [command('a')], send)).toBe(1);
    expect([...held.sent, ...sent]).toEqual([['a'], ['a']]);
  });

  it('fails a waiting repeat with the publish it waited for, and sends the next one again', async () => {
    const { stored, sent, send } = world();
    const held = heldSend();
    const first = stored.store('tux', [command('a')], held.send);
    const second = stored.store('tux', [command('a')], held.send);
    held.settle().reject(new Error('broker gone'));
    await expect(first).rejects.toThrow('broker gone');
    await expect(second).rejects.toThrow('broker gone');
    expect(await stored.store('tux', [command('a')], send)).toBe(0);
    expect(sent).toEqual([['a']]);
  });

  it('forgets the oldest bonk beyond max, and remembers nothing with a 0 window', async () => {
    const bounded = world({ max: 2 });
    for (const id of ['a', 'b', 'c', 'a']) await bounded.stored.store('tux', [command(id)], bounded.send);
    expect(bounded.sent).toEqual([['a'], ['b'], ['c'], ['a']]);
    const off = world({ windowMs: 0 });
    await off.stored.store('tux', [command('a')], off.send);
    expect(await off.stored.store('tux', [command('a')], off.send)).toBe(0);
    expect(off.sent).toEqual([['a'], ['a']]);
  });
});
