import { describe, expect, it } from 'vitest';
import { MAX_BONK_COUNT, encodeBonk, parseBonkPayload, type BonkCommand } from './bonk.ts';

let counter = 0;
const defaults = { newId: () => `gen-${++counter}`, now: () => 1_700_000_000_000 };
const valid: BonkCommand = {
  v: 1,
  id: 'abc123',
  count: 2,
  reason: 'memory-eater OOMKilled',
  source: 'alertmanager',
  labels: { namespace: 'bonk', pod: 'memory-eater' },
  at: 1_700_000_000_123.5,
};

describe('parseBonkPayload', () => {
  it.each([
    ['', 1],
    ['  ', 1],
    ['PRESS', 1],
    ['1', 1],
    ['3', 3],
    [String(MAX_BONK_COUNT), MAX_BONK_COUNT],
  ])('reads manual payload %j as %i strike(s) with a generated id', (payload, count) => {
    const parsed = parseBonkPayload(Buffer.from(payload), defaults);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.command.count).toBe(count);
    expect(parsed.command.source).toBe('manual');
    expect(parsed.command.id).toMatch(/^gen-\d+$/);
    expect(parsed.command.at).toBe(defaults.now());
  });

  it('round-trips a JSON command unchanged', () => {
    expect(parseBonkPayload(encodeBonk(valid), defaults)).toEqual({ ok: true, command: valid });
  });

  it('keeps labels named __proto__ and constructor as labels, as the edge sent them', () => {
    const labels = JSON.parse('{"__proto__":"evil","constructor":"c","pod":"p"}') as Record<string, string>;
    const parsed = parseBonkPayload(encodeBonk({ ...valid, labels }), defaults);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(Object.entries(parsed.command.labels)).toEqual([['__proto__', 'evil'], ['constructor', 'c'], ['pod', 'p']]);
    expect(JSON.parse(encodeBonk(parsed.command)).labels).toEqual(parsed.command.labels);
  });

  it('names a label whose value is not a string', () => {
    const parsed = parseBonkPayload(JSON.stringify({ ...valid, labels: { pod: 3 } }), defaults);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(/labels\.pod: expected a string/);
  });

  it.each([
    ['0', /count 0 is out of range/],
    [String(MAX_BONK_COUNT + 1), /out of range/],
    ['-2', /out of range/],
    ['press', /not understood/],
    ['{"v":1', /not understood/],
    ['[1,2]', /invalid bonk command: \(root\)/],
  ])('rejects %j with a reason', (payload, reason) => {
    const parsed = parseBonkPayload(payload, defaults);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error).toMatch(reason);
    expect(parsed.error).toMatch(/expected|invalid/);
  });

  it('names every bad field and keeps the id so the ack can refer to it', () => {
    const parsed = parseBonkPayload(JSON.stringify({ ...valid, count: 'two', source: 'pager', extra: 1 }), defaults);
    expect(parsed).toMatchObject({ ok: false, id: 'abc123' });
    if (parsed.ok) return;
    expect(parsed.error).toContain('count:');
    expect(parsed.error).toContain('source:');
    expect(parsed.error).toContain('(root): unknown field(s) "extra"; expected only v, id, count, reason, source, labels, at');
  });

  it('rejects bytes that are not UTF-8', () => {
    const parsed = parseBonkPayload(Uint8Array.from([0xff, 0xfe, 0x31]), defaults);
    expect(parsed).toMatchObject({ ok: false });
    if (!parsed.ok) expect(parsed.error).toMatch(/UTF-8/);
  });

  it('rejects a wrong protocol version', () => {
    const parsed = parseBonkPayload(JSON.stringify({ ...valid, v: 2 }), defaults);
    expect(parsed).toMatchObject({ ok: false, id: 'abc123' });
    if (!parsed.ok) expect(parsed.error).toMatch(/^invalid bonk command: v:/);
  });
});
