// MQTT client ids: each part's id, and which ids a user of each role may connect with (the broker enforces it).
//
// A persistent session belongs to a client id, and the broker hands it (subscriptions and queued bonks) to whoever
// connects with that id. So a device's id is bound to that device alone, and every other role gets a namespace of its
// own: nobody can take over, or kick off, a session of another role or another device.

/** The roles of the broker's users file. */
export type ClientRole = 'edge' | 'device' | 'viewer' | 'admin';

const NAMESPACE = 'bonker';

/** The one id of a device's agent: stable, so that its persistent session (queued bonks) survives reconnects. */
export function deviceClientId(deviceId: string): string {
  return `${NAMESPACE}-device-${deviceId}`;
}

/** The id prefix of a role other than device; any suffix may follow (e.g. `bonker-admin-ha` for Home Assistant). */
export function roleClientIdPrefix(role: Exclude<ClientRole, 'device'>): string {
  return `${NAMESPACE}-${role}-`;
}

/** A fresh id for a short-lived connection of `role`, e.g. `bonker-edge-3f2a9c1d`. */
export function newClientId(role: Exclude<ClientRole, 'device'>, kind = ''): string {
  return `${roleClientIdPrefix(role)}${kind ? `${kind}-` : ''}${crypto.randomUUID().slice(0, 8)}`;
}

export type ClientIdOwner = { role: 'device'; device: string } | { role: Exclude<ClientRole, 'device'> };

/** undefined when `owner` may use `clientId`; otherwise what it may use instead (for the refusal's log line). */
export function clientIdRefusal(owner: ClientIdOwner, clientId: string): string | undefined {
  if (owner.role === 'device') {
    const own = deviceClientId(owner.device);
    return clientId === own ? undefined : `expected exactly "${own}" (the client id of device ${owner.device})`;
  }
  const prefix = roleClientIdPrefix(owner.role);
  return clientId.startsWith(prefix) && clientId.length > prefix.length
    ? undefined
    : `expected a client id starting with "${prefix}" (role ${owner.role})`;
}
