import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { alertBonkId, alertKey } from './alert-id.ts';

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
