// Who may publish and subscribe where: topic patterns per role, and a wildcard check judging a filter by all it could match.
import { DEFAULT_HOME_ASSISTANT_PREFIX, homeAssistantNodeId, type Topics } from '../contract/index.ts';
import type { User } from './users-file.ts';

/** Home Assistant's default MQTT discovery prefix, under which each device may keep its own discovery config. */
export const HOME_ASSISTANT_PREFIX = DEFAULT_HOME_ASSISTANT_PREFIX;
const SYS_PREFIX = '$SYS/';

/** Who a connection is: a user from the users file, or anonymous (only when the config allows it). */
export type Principal = User | { role: 'anonymous' };

export type Verdict = { allowed: true } | { allowed: false; reason: string };

export interface Acl {
  canPublish(who: Principal, topic: string): Verdict;
  canSubscribe(who: Principal, filter: string): Verdict;
}

interface Grants {
  publish: string[];
  subscribe: string[];
}

export function createAcl(topics: Topics): Acl {
  // A device owns its discovery node (`<ha>/device/<node id>/config` and `/state`) and reads HA's birth message; the
  // rest of the discovery tree belongs to other devices and to Home Assistant.
  const haNode = (device: string) => `${HOME_ASSISTANT_PREFIX}/device/${homeAssistantNodeId(topics.prefix, device)}/+`;
  const haBirth = `${HOME_ASSISTANT_PREFIX}/status`;
  const grantsOf = (who: Principal): Grants | 'everything' => {
    switch (who.role) {
      case 'admin':
      case 'anonymous':
        return 'everything';
      case 'edge':
        return { publish: [topics.all('bonk')], subscribe: [topics.all('ack')] };
      case 'device':
        return {
          publish: [
            topics.ack(who.device), topics.status(who.device), topics.history(who.device), topics.info(who.device),
            haNode(who.device),
          ],
          subscribe: [topics.bonk(who.device), haBirth],
        };
      case 'viewer':
        return { publish: [], subscribe: [topics.all('status'), topics.all('ack'), topics.all('history'), topics.all('info')] };
    }
  };
  return {
    canPublish(who, topic) {
      // Aedes' default rule, kept for everybody: $SYS/ is the broker's own.
      if (topic.startsWith(SYS_PREFIX)) return { allowed: false, reason: `${SYS_PREFIX} is reserved for the broker` };
      const grants = grantsOf(who);
      if (grants === 'everything') return { allowed: true };
      return judge(grants.publish, topic, who, 'publish to');
    },
    canSubscribe(who, filter) {
      const grants = grantsOf(who);
      if (grants === 'everything') return { allowed: true };
      return judge(grants.subscribe, filter, who, 'subscribe to');
    },
  };
}

function judge(patterns: string[], topic: string, who: Principal, verb: string): Verdict {
  if (patterns.some((pattern) => filterCovers(pattern, topic))) return { allowed: true };
  const allowed = patterns.length ? patterns.join(', ') : 'nothing';
  return { allowed: false, reason: `role ${who.role} may not ${verb} ${topic} (allowed: ${allowed})` };
}

/**
 * True when every topic `requested` could match is also matched by `granted` (both MQTT filters; a plain topic is a
 * filter too). So a device granted `P/tux/bonk` may not subscribe `P/+/bonk` or `#`: those could match other devices.
 */
export function filterCovers(granted: string, requested: string): boolean {
  const have = granted.split('/');
  const want = requested.split('/');
  for (let i = 0; i < have.length; i++) {
    const level = have[i]!;
    // [MQTT-4.7.1-2] `#` matches the parent level and any number of child levels, whatever the request holds there.
    if (level === '#') return true;
    const asked = want[i];
    if (asked === undefined) return false;
    // A requested `#` reaches any depth, which only a granted `#` (handled above) covers.
    if (asked === '#') return false;
    if (level === '+') continue;
    // A requested `+` could be any value, which a literal level does not cover.
    if (asked === '+' || asked !== level) return false;
  }
  return want.length === have.length;
}
