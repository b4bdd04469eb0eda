// The device state and history payload: older payloads still parse, the history is bounded, long text is cut.
import { describe, expect, it } from 'vitest';
import { bonkEntry, FIELD_MAX_CHARS, MAX_HISTORY_SIZE, parseDeviceState } from './device-state.ts';

const entry = { id: 'a', at: 1, bonks: 1, reason: 'r', result: 'done' };

describe('parseDeviceState', () => {
  it('reads a state saved before the history existed, and one with it', () => {
    expect(parseDeviceState('{"v":1,"total":3,"last":null}')).toEqual({ v: 1, total: 3, last: null });
    expect(parseDeviceState(JSON.stringify({ v: 1, total: 1, last: null, recent: [entry] }))?.recent).toEqual([entry]);
  });

  it.each([
    ['not JSON', '{"v":1,'],
    ['a longer history than any device keeps',
      JSON.stringify({ v: 1, total: 0, last: null, recent: Array(MAX_HISTORY_SIZE + 1).fill(entry) })],
    ['an entry with an unknown result', JSON.stringify({ v: 1, total: 0, last: null, recent: [{ ...entry, result: 'exploded' }] })],
  ])('refuses %s', (_, payload) => {
    expect(parseDeviceState(payload)).toBeUndefined();
  });
});

describe('bonkEntry', () => {
  it('keeps the fields an operator needs and leaves out the ones the command did not have', () => {
    const ack = {
      id: 'x', result: 'done', bonks: 2, startedAt: 5, finishedAt: 9, reason: 'OOM', source: 'alertmanager',
      labels: { namespace: 'n', pod: 'p', zone: 'z' },
    } as const;
    expect(bonkEntry(ack)).toEqual({
      id: 'x', at: 9, bonks: 2, result: 'done', reason: 'OOM', source: 'alertmanager', namespace: 'n', pod: 'p',
    });
  });

  it('cuts long text to FIELD_MAX_CHARS without splitting a character in two', () => {
    const pod = `${'p'.repeat(FIELD_MAX_CHARS - 2)}🐧🐧🐧`;
    const cut = bonkEntry({ id: 'x', result: 'rejected', bonks: 0, startedAt: null, finishedAt: null, labels: { pod } }, () => 7);
    expect(cut.at).toBe(7);
    expect(cut.pod!.length).toBeLessThanOrEqual(FIELD_MAX_CHARS);
    expect(cut.pod).toBe(`${'p'.repeat(FIELD_MAX_CHARS - 2)}…`);
    const reason = 'r'.repeat(500);
    expect(bonkEntry({ id: 'x', result: 'done', bonks: 1, startedAt: 1, finishedAt: 1, reason }).reason).toHaveLength(FIELD_MAX_CHARS);
  });
});
