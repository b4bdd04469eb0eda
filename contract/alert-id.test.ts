import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alertBonkId, alertKey, canonicalInstant } from './alert-id.ts';

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../test/fixtures/${name}`, import.meta.url), 'utf8')) as {
    alerts: { fingerprint: string; startsAt: string; labels: Record<string, string> }[];
  };

describe('alertBonkId', () => {
  it('is 32 hex characters and stable for one episode', async () => {
    const [alert] = fixture('firing-one.json').alerts;
    const id = alertBonkId(alert!);
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(alertBonkId({ ...alert! })).toBe(id);
  });

  it('gives the first alert the same id when its group is re-sent with a second alert', async () => {
    const first = fixture('firing-one.json').alerts[0]!;
    const regrouped = fixture('firing-two.json').alerts.find((a) => a.fingerprint === first.fingerprint)!;
    expect(alertBonkId(regrouped)).toBe(alertBonkId(first));
  });

  it('changes with a new episode (startsAt) and with another alert (fingerprint)', async () => {
    const alert = fixture('firing-one.json').alerts[0]!;
    const id = alertBonkId(alert);
    expect(alertBonkId({ ...alert, startsAt: '2026-11-25T12:00:00Z' })).not.toBe(id);
    expect(alertBonkId({ ...alert, fingerprint: '0000000000000000' })).not.toBe(id);
  });

  it('falls back to sorted labels when the fingerprint is absent', async () => {
    const base = { startsAt: '2026-11-25T11:00:00Z' };
    const a = alertBonkId({ ...base, labels: { pod: 'p', namespace: 'n' } });
    const b = alertBonkId({ ...base, labels: { namespace: 'n', pod: 'p' } });
    const c = alertBonkId({ ...base, labels: { namespace: 'n', pod: 'q' } });
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(alertKey({ ...base, fingerprint: '', labels: { x: '1' } })).toContain('labels:');
  });
});

describe('canonicalInstant', () => {
  it.each([
    ['2026-11-25T00:00:02Z', '2026-11-25T00:00:02Z'],
    ['2026-11-25T00:00:02.000Z', '2026-11-25T00:00:02Z'],
    ['2026-11-25T00:00:02+00:00', '2026-11-25T00:00:02Z'],
    ['2026-11-25T00:00:02-00:00', '2026-11-25T00:00:02Z'],
    ['2026-11-25T01:30:02.5+01:30', '2026-11-25T00:00:02.5Z'],
    ['2026-11-24T19:00:02.120-05:00', '2026-11-25T00:00:02.12Z'],
    ['2026-11-25T00:00:02.123456789Z', '2026-11-25T00:00:02.123456789Z'],
    ['2026-11-25T00:00:02.123456789000Z', '2026-11-25T00:00:02.123456789Z'],
    ['2027-01-01T00:30:00.000000001+01:00', '2026-12-31T23:30:00.000000001Z'],
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00Z'],
    ['0050-06-01T12:00:00Z', '0050-06-01T12:00:00Z'],
  ])('%s → %s', (text, canonical) => {
    expect(canonicalInstant(text)).toBe(canonical);
  });

  it('gives one id to one instant, whatever its text', () => {
    const base = { fingerprint: 'f4e3b8d514fb1ec0', labels: {} };
    const ids = ['2026-11-25T00:00:02Z', '2026-11-25T00:00:02.000Z', '2026-11-25T00:00:02+00:00', '2026-11-25T01:00:02+01:00'].map(
      (startsAt) => alertBonkId({ ...base, startsAt }),
    );
    expect(new Set(ids).size).toBe(1);
    // A nanosecond apart is another episode.
    expect(alertBonkId({ ...base, startsAt: '2026-11-25T00:00:02.000000001Z' })).not.toBe(ids[0]);
  });

  it('leaves text that is not an RFC 3339 timestamp as it is (the edge refuses it with 400 first)', () => {
    for (const text of ['yesterday', '', '2026-11-25 00:00:02Z', '2026-11-25T00:00Z', '2026-11-25t00:00:02z']) {
      expect(canonicalInstant(text)).toBe(text);
    }
  });

  it('keeps the id of every fixture: Alertmanager writes canonical text already', () => {
    for (const name of ['firing-one.json', 'firing-two.json', 'mixed-firing-resolved.json', 'resolved.json']) {
      for (const alert of fixture(name).alerts) expect(canonicalInstant(alert.startsAt)).toBe(alert.startsAt);
    }
  });
});

describe('canonicalInstant (properties)', () => {
  /** An instant as whole seconds (0002-01-01 to 9999-01-01, so any offset stays inside 0001-9999) plus nanoseconds. */
  const instant = fc.record({
    seconds: fc.integer({ min: -62_104_060_800, max: 253_370_764_800 }),
    nanos: fc.integer({ min: 0, max: 999_999_999 }),
  });
  /** How Go's RFC3339Nano writes it in UTC: what Alertmanager sends. */
  const goUtc = ({ seconds, nanos }: { seconds: number; nanos: number }) => {
    const fraction = String(nanos).padStart(9, '0').replace(/0+$/, '');
    return `${new Date(seconds * 1000).toISOString().slice(0, 19)}${fraction ? `.${fraction}` : ''}Z`;
  };
  /** The same instant at another offset, with `pad` extra trailing zeros in the fraction. */
  const rewritten = ({ seconds, nanos }: { seconds: number; nanos: number }, offsetMinutes: number, pad: number) => {
    const local = new Date((seconds + offsetMinutes * 60) * 1000).toISOString().slice(0, 19);
    const sign = offsetMinutes < 0 ? '-' : '+';
    const abs = Math.abs(offsetMinutes);
    const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
    const fraction = `${String(nanos).padStart(9, '0')}${'0'.repeat(pad)}`;
    return `${local}.${fraction}${offset}`;
  };
  const offset = fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 });

  it('writes Alertmanager\'s own text unchanged, so upgrading keeps its ids', () => {
    fc.assert(fc.property(instant, (at) => canonicalInstant(goUtc(at)) === goUtc(at)), { numRuns: 2_000 });
  });

  it('maps every text of one instant (offset, trailing zeros) to the same canonical text', () => {
    fc.assert(
      fc.property(instant, offset, fc.nat(6), (at, minutes, pad) => canonicalInstant(rewritten(at, minutes, pad)) === goUtc(at)),
      { numRuns: 5_000 },
    );
  });

  it('keeps two instants apart, down to the nanosecond', () => {
    fc.assert(
      fc.property(instant, instant, offset, (a, b, minutes) => {
        fc.pre(a.seconds !== b.seconds || a.nanos !== b.nanos);
        return canonicalInstant(rewritten(a, minutes, 0)) !== canonicalInstant(goUtc(b));
      }),
      { numRuns: 5_000 },
    );
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(instant, offset, fc.nat(3), (at, minutes, pad) => {
        const once = canonicalInstant(rewritten(at, minutes, pad));
        return canonicalInstant(once) === once;
      }),
      { numRuns: 2_000 },
    );
  });
});
