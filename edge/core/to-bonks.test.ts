// toBonks against every captured Alertmanager payload, plus dedup, cap and device selection.
import { describe, expect, it } from 'vitest';
import { alertBonkId } from '../../contract/index.ts';
import { fixtures } from '../../test/fixtures/index.ts';
import { notificationSchema, type AlertmanagerNotification } from './alertmanager-payload.ts';
import { byDevice, toBonks, type ToBonksOptions } from './to-bonks.ts';

const NOW = 1_764_000_000_000;
const options: ToBonksOptions = { defaultDevice: 'tux', max: 10, now: () => NOW };
const parse = (sample: object): AlertmanagerNotification => notificationSchema.parse(sample);
const idOf = (alert: { fingerprint: string; startsAt: string; labels: Record<string, string> }) => alertBonkId(alert);

/** A firing alert like firing-one's, with its own pod, fingerprint and labels. */
function firing(n: number, labels: Record<string, string> = {}) {
  const base = fixtures.firingOne.alerts[0]!;
  return { ...base, fingerprint: `fp${n}`, labels: { ...base.labels, pod: `pod-${n}`, ...labels } };
}

describe('toBonks on the captured payloads', () => {
  it('firing-one: one command for the firing alert, with summary, labels and clock', async () => {
    const plan = toBonks(parse(fixtures.firingOne), options);
    const alert = fixtures.firingOne.alerts[0]!;
    expect(plan).toMatchObject({ firing: 1, resolved: 0, coalesced: 0, invalidDeviceLabels: [] });
    expect(plan.bonks).toEqual([
      {
        device: 'tux',
        command: {
          v: 1,
          id: await idOf(alert),
          count: 1,
          reason: 'memory-eater OOMKilled',
          source: 'alertmanager',
          labels: alert.labels,
          at: NOW,
        },
      },
    ]);
  });

  it('firing-two: the re-sent group keeps the first alert id and adds the second', async () => {
    const first = toBonks(parse(fixtures.firingOne), options);
    const plan = toBonks(parse(fixtures.firingTwo), options);
    const ids = plan.bonks.map((b) => b.command.id);
    expect(ids).toHaveLength(2);
    expect(ids[0]).toBe(first.bonks[0]!.command.id);
    expect(ids[1]).toBe(await idOf(fixtures.firingTwo.alerts[1]!));
    expect(plan.bonks[1]!.command.reason).toBe('second-eater OOMKilled');
  });

  it('mixed-firing-resolved: only the firing alert becomes a bonk', async () => {
    const plan = toBonks(parse(fixtures.mixed), options);
    expect(plan).toMatchObject({ firing: 1, resolved: 1, coalesced: 0 });
    expect(plan.bonks.map((b) => b.command.labels.pod)).toEqual(['second-eater']);
  });

  it('resolved: nothing to bonk', async () => {
    const plan = toBonks(parse(fixtures.resolved), options);
    expect(plan).toMatchObject({ bonks: [], firing: 0, resolved: 1, coalesced: 0 });
  });

  it('truncated: bonks for what arrived; without a summary the alertname is the reason', async () => {
    const plan = toBonks(parse(fixtures.truncated), options);
    expect(plan.bonks).toHaveLength(1);
    expect(plan.bonks[0]!.command.reason).toBe('OOMKilledMax');
    expect(plan.coalesced).toBe(0);
  });
});

describe('toBonks rules', () => {
  it('gives the same alert the same id in two notifications, even at another time', async () => {
    const a = toBonks(parse(fixtures.firingOne), options);
    const b = toBonks(parse(fixtures.firingOne), { ...options, now: () => NOW + 60_000 });
    expect(b.bonks[0]!.command.id).toBe(a.bonks[0]!.command.id);
    expect(b.bonks[0]!.command.at).toBe(NOW + 60_000);
  });

  it('publishes a duplicated alert once, and duplicates do not count as coalesced', async () => {
    const alert = firing(1);
    const plan = toBonks(parse({ ...fixtures.firingOne, alerts: [alert, alert, firing(2)] }), options);
    expect(plan.bonks.map((b) => b.command.labels.pod)).toEqual(['pod-1', 'pod-2']);
    expect(plan.coalesced).toBe(0);
  });

  it('caps at max in notification order and reports the rest as coalesced', async () => {
    const alerts = [1, 2, 3, 4, 5].map((n) => firing(n));
    const plan = toBonks(parse({ ...fixtures.firingOne, alerts }), { ...options, max: 3 });
    expect(plan.bonks.map((b) => b.command.labels.pod)).toEqual(['pod-1', 'pod-2', 'pod-3']);
    expect(plan.coalesced).toBe(2);
  });

  it('picks the device from ?device=, then the bonker_device label, then the default', async () => {
    const alerts = [firing(1, { bonker_device: 'desk' }), firing(2), firing(3, { bonker_device: 'bad/device' })];
    const notification = parse({ ...fixtures.firingOne, alerts });
    const byLabel = toBonks(notification, options);
    expect(byLabel.bonks.map((b) => b.device)).toEqual(['desk', 'tux', 'tux']);
    expect(byLabel.invalidDeviceLabels).toEqual(['bad/device']);
    const byQuery = toBonks(notification, { ...options, queryDevice: 'shelf' });
    expect(byQuery.bonks.map((b) => b.device)).toEqual(['shelf', 'shelf', 'shelf']);
    expect([...byDevice(byLabel.bonks).keys()]).toEqual(['desk', 'tux']);
    expect(byDevice(byLabel.bonks).get('tux')!.map((c) => c.labels.pod)).toEqual(['pod-2', 'pod-3']);
  });

  it('keeps a long summary within the contract limit', async () => {
    const alert = { ...firing(1), annotations: { summary: 'x'.repeat(5000) } };
    const plan = toBonks(parse({ ...fixtures.firingOne, alerts: [alert] }), options);
    expect(plan.bonks[0]!.command.reason.length).toBeLessThanOrEqual(1024);
  });

  // HostProcessOOMKilled (infra/prometheus/oom-rules.yml) is labelled by instance and has no pod: the summary is the
  // reason, and its labels travel unchanged, so the dashboard and Home Assistant show the host.
  it('bonks a host-level alert (instance, no pod) with its summary as the reason', async () => {
    const base = fixtures.firingOne.alerts[0]!;
    const alert = {
      ...base,
      fingerprint: 'fphost',
      labels: { alertname: 'HostProcessOOMKilled', instance: 'db-1:9100', oom_kills: '8', severity: 'warning' },
      annotations: { summary: 'host db-1:9100: a process was OOM-killed' },
    };
    const plan = toBonks(parse({ ...fixtures.firingOne, commonLabels: {}, groupLabels: { alertname: 'HostProcessOOMKilled' }, alerts: [alert] }), options);
    expect(plan.bonks).toHaveLength(1);
    expect(plan.bonks[0]!.command).toMatchObject({
      id: idOf(alert),
      reason: 'host db-1:9100: a process was OOM-killed',
      labels: { alertname: 'HostProcessOOMKilled', instance: 'db-1:9100', oom_kills: '8' },
    });
    expect(plan.bonks[0]!.command.labels).not.toHaveProperty('pod');
  });
});
