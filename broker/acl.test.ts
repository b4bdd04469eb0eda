// The full role × topic matrix of the ACL, and the wildcard coverage rule behind subscriptions.
import { describe, expect, it } from 'vitest';
import { createTopics } from '../contract/index.ts';
import { createAcl, filterCovers, type Principal } from './acl.ts';

const P = createTopics('bonker');
const acl = createAcl(P);
const hash = 'unused-here';
const who: Record<string, Principal> = {
  edge: { username: 'edge', role: 'edge', password: hash },
  tux: { username: 'tux', role: 'device', device: 'tux', password: hash },
  admin: { username: 'admin', role: 'admin', password: hash },
  viewer: { username: 'dash', role: 'viewer', password: hash },
  anonymous: { role: 'anonymous' },
};

// [topic, edge, device tux, admin, viewer, anonymous]
const publishMatrix: [string, ...boolean[]][] = [
  [P.bonk('tux'), true, false, true, false, true],
  [P.bonk('pi-2'), true, false, true, false, true],
  [P.ack('tux'), false, true, true, false, true],
  [P.ack('pi-2'), false, false, true, false, true],
  [P.status('tux'), false, true, true, false, true],
  [P.status('pi-2'), false, false, true, false, true],
  // The history is the device's own record: no other device, nor the viewer that reads it, may overwrite it.
  [P.history('tux'), false, true, true, false, true],
  [P.history('pi-2'), false, false, true, false, true],
  // Device-based discovery: each device owns its own node only, never another device's (which it could overwrite).
  ['homeassistant/device/bonker_tux/config', false, true, true, false, true],
  ['homeassistant/device/bonker_tux/state', false, true, true, false, true],
  ['homeassistant/device/bonker_pi-2/config', false, false, true, false, true],
  ['homeassistant/device/bonker_pi-2/state', false, false, true, false, true],
  ['homeassistant/button/tux/config', false, false, true, false, true],
  ['homeassistant/status', false, false, true, false, true],
  ['other/tux/bonk', false, false, true, false, true],
  ['bonker/tux/bonk/extra', false, false, true, false, true],
  ['$SYS/broker/uptime', false, false, false, false, false],
];

const subscribeMatrix: [string, ...boolean[]][] = [
  [P.bonk('tux'), false, true, true, false, true],
  [P.bonk('pi-2'), false, false, true, false, true],
  [P.all('bonk'), false, false, true, false, true],
  [P.all('ack'), true, false, true, true, true],
  [P.ack('tux'), true, false, true, true, true],
  [P.all('status'), false, false, true, true, true],
  [P.status('tux'), false, false, true, true, true],
  [P.all('history'), false, false, true, true, true],
  [P.history('tux'), false, false, true, true, true],
  ['bonker/tux/+', false, false, true, false, true],
  ['bonker/#', false, false, true, false, true],
  ['#', false, false, true, false, true],
  ['+/+/ack', false, false, true, false, true],
  ['homeassistant/status', false, true, true, false, true],
  ['homeassistant/#', false, false, true, false, true],
  ['homeassistant/device/+/config', false, false, true, false, true],
  ['homeassistant/+/tux/set', false, false, true, false, true],
  ['$SYS/#', false, false, true, false, true],
];

const roles = ['edge', 'tux', 'admin', 'viewer', 'anonymous'] as const;

describe('createAcl', () => {
  for (const [topic, ...expected] of publishMatrix) {
    it.each(roles.map((role, i) => [role, expected[i]] as const))(`publish ${topic}: %s → %s`, (role, allowed) => {
      expect(acl.canPublish(who[role]!, topic).allowed).toBe(allowed);
    });
  }
  for (const [filter, ...expected] of subscribeMatrix) {
    it.each(roles.map((role, i) => [role, expected[i]] as const))(`subscribe ${filter}: %s → %s`, (role, allowed) => {
      expect(acl.canSubscribe(who[role]!, filter).allowed).toBe(allowed);
    });
  }

  it('says why it refused', () => {
    const verdict = acl.canSubscribe(who.tux!, '#');
    expect(verdict).toEqual({ allowed: false, reason: expect.stringMatching(/role device may not subscribe to # \(allowed: bonker\/tux\/bonk/) });
  });

  it('follows a custom topic prefix', () => {
    const home = createAcl(createTopics('home/bonker'));
    expect(home.canPublish(who.edge!, 'home/bonker/tux/bonk').allowed).toBe(true);
    expect(home.canPublish(who.edge!, 'bonker/tux/bonk').allowed).toBe(false);
  });
});

describe('filterCovers', () => {
  it.each([
    ['a/+/c', 'a/b/c', true],
    ['a/+/c', 'a/+/c', true],
    ['a/b/c', 'a/+/c', false],
    ['a/+/c', 'a/#', false],
    ['a/#', 'a', true],
    ['a/#', 'a/b/+/#', true],
    ['a/b', 'a/b/c', false],
    ['a/b/c', 'a/b', false],
    ['#', '$SYS/x', true],
  ] as const)('%s covers %s: %s', (granted, requested, expected) => {
    expect(filterCovers(granted, requested)).toBe(expected);
  });
});
