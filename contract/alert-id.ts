// Bonk id of an alert episode: the same alert episode yields the same id, whichever notification carries it.
// Alertmanager re-sends an alert on repeat_interval, when its group changes and from each member of an HA pair;
// fingerprint + startsAt is the stable key of one firing episode (prometheus/alertmanager docs, notify/webhook).

export interface AlertIdentity {
  fingerprint?: string | undefined;
  startsAt: string;
  labels: Record<string, string>;
}

/** 32 hex characters of SHA-256; Web Crypto so the edge can run in workerd as well as Node. */
export async function alertBonkId(alert: AlertIdentity): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(alertKey(alert)));
  return Array.from(new Uint8Array(digest.slice(0, 16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Fingerprint + startsAt; without a fingerprint, the sorted labels stand in for it. */
export function alertKey(alert: AlertIdentity): string {
  const who = alert.fingerprint
    ? `fp:${alert.fingerprint}`
    : `labels:${JSON.stringify(Object.entries(alert.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))}`;
  return `${who}\n${alert.startsAt}`;
}
